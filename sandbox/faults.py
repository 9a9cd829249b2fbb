"""
Injected faults: make matching requests fail in one of the ways Clever (or the network) can.

A fault matches a path pattern relative to the sandbox base (``/v2.0/sections/*/students``,
``/oauth/tokens``): ``*`` stands for one path segment (and may be part of one, as in
``v2.*``), ``**`` for any number of segments. Each fault counts the calls it matches: it
lets the first `skip` through, then answers the next `times` (None: every one after).

`headers` adds or replaces response headers on any kind: ``{"Retry-After": "soon"}``.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from dataclasses import asdict, dataclass, field

STATUS_KINDS = frozenset({"400", "401", "403", "404", "413", "429", "500", "501", "502", "503", "504"})
OTHER_KINDS = frozenset({"slow", "malformed_json", "html"})
KINDS = STATUS_KINDS | OTHER_KINDS
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_ids = itertools.count(1)


class FaultError(ValueError):
    """A fault was described wrongly (unknown kind, bad count)."""


@dataclass
class Fault:
    """One injected fault. `kind` is an HTTP status ("503") or "slow", "malformed_json", "html"."""

    path: str
    kind: str
    times: int | None = 1
    skip: int = 0
    delay: float = 0.0  # "slow": seconds to wait before answering normally
    reset_in: int = 60  # "429": X-RateLimit-Reset this many seconds ahead
    retry_after: bool | None = None  # "429": send Retry-After (None: the sandbox option)
    status: int = 200  # "html" and "malformed_json": the status to send them with
    id: str = ""  # only paths containing this id as a segment
    method: str = ""  # only this HTTP method ("" = any)
    headers: dict[str, str] = field(default_factory=dict)  # added to (or replacing) the answer's headers
    number: int = field(default_factory=lambda: next(_ids))
    seen: int = 0
    fired: int = 0

    def __post_init__(self):
        self.kind = str(self.kind).lower()
        if self.kind not in KINDS:
            raise FaultError(f"unknown fault kind {self.kind!r} (expected one of {', '.join(sorted(KINDS))})")
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise FaultError("path must be a pattern starting with /, e.g. /v2.0/sections/*/students")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise FaultError("times must be a positive whole number, or null for every call")
        if not isinstance(self.skip, int) or self.skip < 0:
            raise FaultError("skip must be a whole number, 0 or more")
        if self.kind == "slow" and not (isinstance(self.delay, int | float) and self.delay > 0):
            raise FaultError("a slow fault needs delay, in seconds")
        if not isinstance(self.headers, dict) or not all(_valid_header(k, v) for k, v in self.headers.items()):
            raise FaultError('headers must map header names to one-line values, e.g. {"Retry-After": "soon"}')
        self.method = self.method.upper()
        self._segments = _segments(self.path)

    @property
    def active(self) -> bool:
        return self.times is None or self.fired < self.times

    def matches(self, method: str, path: str) -> bool:
        """Return whether a request is one this fault watches."""
        if self.method and self.method != method.upper():
            return False
        segments = _segments(path)
        if self.id and self.id not in segments:
            return False
        return _match(self._segments, segments)

    def observe(self) -> bool:
        """Count one matching call; return whether this call gets the fault."""
        self.seen += 1
        if self.seen <= self.skip or not self.active:
            return False
        self.fired += 1
        return True

    def describe(self) -> dict:
        """Return the fault as JSON-ready data (for the control API and the index page)."""
        data = asdict(self)
        data["active"] = self.active
        return data


def _valid_header(name: object, value: object) -> bool:
    return (
        isinstance(name, str)
        and bool(_HEADER_NAME.match(name))
        and isinstance(value, str)
        and "\r" not in value
        and "\n" not in value
    )


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _match(pattern: list[str], segments: list[str]) -> bool:
    if not pattern:
        return not segments
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, segments[i:]) for i in range(len(segments) + 1))
    return bool(segments) and fnmatch.fnmatchcase(segments[0], head) and _match(rest, segments[1:])
