"""Keep secrets out of log lines.

The service reads its API key only from the ``X-API-Key`` header, but clients still put keys in the
URL (``?api_key=...``) and uvicorn's access log writes the whole URL. This filter rewrites every
record of the service's and uvicorn's loggers before any handler formats it: values of secret-looking
query parameters and of an ``X-API-Key`` header become ``[redacted]``, and so does any configured
key wherever it appears.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
SECRET_PARAMS = ("api_key", "api-key", "apikey", "key", "token", "access_token", "x-api-key")
LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "quejas", "quejas.serve")

_QUERY = re.compile(r"(?i)([?&;](?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)[^&;#\s\"']*")
_HEADER = re.compile(r"(?i)(x-api-key['\"]?\s*[:=,]\s*(?:b?['\"])?)[^\s'\",;)}\]]+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with secret query values, X-API-Key header values and the given secrets replaced."""
    text = _QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message (and its arguments) so formatters never see a secret."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("quejas-secrets")
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {k: self._clean(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(self._clean(a) for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg, self.secrets)
        return True

    def _clean(self, value: object) -> object:
        return redact(value, self.secrets) if isinstance(value, str) else value


def install_secret_filter(secrets: Iterable[str] = ()) -> SecretFilter:
    """Attach one filter (replacing an earlier one) to the service's and uvicorn's loggers."""
    secret_filter = SecretFilter(secrets)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, SecretFilter)]:
            logger.removeFilter(old)
        logger.addFilter(secret_filter)
    return secret_filter
