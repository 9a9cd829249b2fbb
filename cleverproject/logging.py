"""A logging filter that keeps OAuth secrets out of log output.

Django's dev server logs every request line, and the Clever callback's carries
`?code=...&state=...`; anything else that prints a URL, a form body or a JSON reply
could carry a token. The filter rewrites the record's message before any formatter
sees it.
"""

import logging
import re

REDACTED = "[redacted]"
_SECRET_NAMES = r"code|state|access_token|refresh_token|id_token|client_secret|token|password"  # noqa: S105

# code=abc, ?state=abc&..., access_token%3Dabc (URL-encoded inside another URL)
_QUERY = re.compile(rf"(?i)(?:(?<![\w.%-])|(?<=%3F)|(?<=%26)|(?<=%20))({_SECRET_NAMES})(=|%3D)[^&\s\"'#;,)]+")
# "access_token": "abc"  /  'code': 'abc'
_JSON = re.compile(rf"(?i)([\"']({_SECRET_NAMES})[\"']\s*:\s*)([\"'])[^\"']*\3")
# Authorization: Bearer abc / Basic abc
_AUTHORIZATION = re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(bearer|basic)\s+[\w\-.~+/=]+")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[\w\-.~+/]{8,}=*")


def redact(text: str) -> str:
    """Return `text` with secret values (codes, states, tokens, Authorization headers) blanked."""
    text = _QUERY.sub(rf"\1\2{REDACTED}", text)
    text = _JSON.sub(rf"\1\3{REDACTED}\3", text)
    text = _AUTHORIZATION.sub(rf"\1\2 {REDACTED}", text)
    return _BEARER.sub(rf"\1 {REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrite each record's message (and exception text) with `redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's problem, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
