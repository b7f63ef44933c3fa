"""The one error of the base-model import; every expected failure is raised as it, with a one-line message."""

from __future__ import annotations

from pipeline.errors import QuejasError


class BaseImportError(QuejasError):
    """The base encoder could not be imported; the message is one line meant for the user."""
