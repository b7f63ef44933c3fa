"""The one base class for problems a user can fix.

Every error quejas raises on purpose (a missing model folder, an unknown column, a broken policy file, an
empty text) derives from `QuejasError`, and its message says what to do. The CLI prints such errors as
one line and exits with status 1; anything else is a bug and keeps its traceback (``--debug`` shows it
for a `QuejasError` too). Subclasses keep a built-in base (``ValueError``, ``RuntimeError``) where callers
already catch that, so existing ``except ValueError`` code goes on working.
"""

from __future__ import annotations


class QuejasError(Exception):
    """A problem with the input, the configuration or the environment, described for the person who can fix it."""
