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


class ConfigurationError(QuejasError, ValueError):
    """An option, setting or configuration file asks for something impossible (a CUDA device on a CPU-only
    machine, int8 on a GPU, a taxonomy that repeats a cause id); the message names the option."""


class InputDataError(QuejasError, ValueError):
    """A file or split given to quejas is not what it must be (invalid JSON on a line, splits that no longer
    match the corpus); the message names the file and, where there is one, the line."""
