"""
Injected faults: make matching requests fail in one of the ways Clever (or the network) can.

A fault matches a path pattern relative to the sandbox base (``/v2.0/sections/*/students``,
``/oauth/tokens``): ``*`` stands for one path segment (and may be part of one, as in
``v2.*``), ``**`` for any number of segments. It may also be narrowed to one `method`, to
paths containing one `id`, and to the requests of one token's `owner` (the Clever id of the
teacher, student, admin or district the bearer token belongs to). Each fault counts the
calls it matches: it lets the first `skip` through, then answers the next `times` (None:
every one after).

Kinds (docs/sandbox.md, "Faults", says what each looks like on the wire):

- an HTTP status: "400" ... "504" with Clever's JSON error body; "429" with an empty body,
  ``X-RateLimit-Reset`` `reset_in` seconds ahead and, if asked, ``Retry-After`` (`retry_after`:
  True or "seconds", or "http-date");
- the network: "slow" (answer after `delay` seconds), "hang" (answer only once the fault is
  cleared; a client's timeout fires first), "reset" (the connection is reset, no answer),
  "cut_off" (the real answer's headers, then half its body, then the connection closes);
- unreadable replies: "malformed_json", "html" (with `status`);
- valid JSON of the wrong shape: "data_null" (``{"data": null}``), "no_id" (the real answer with
  its first record's id removed), "next_loop" (the real answer whose ``next`` link points back
  to the page itself).

`headers` adds or replaces response headers on any kind: ``{"Retry-After": "soon"}``.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
from dataclasses import dataclass, field, fields

STATUS_KINDS = frozenset({"400", "401", "403", "404", "413", "429", "500", "501", "502", "503", "504"})
NETWORK_KINDS = frozenset({"slow", "hang", "reset", "cut_off"})
BODY_KINDS = frozenset({"malformed_json", "html", "data_null", "no_id", "next_loop"})
OTHER_KINDS = NETWORK_KINDS | BODY_KINDS
KINDS = STATUS_KINDS | OTHER_KINDS
# Kinds that change the real answer, so the view runs first.
REWRITE_KINDS = frozenset({"cut_off", "no_id", "next_loop"})
RETRY_AFTER_FORMATS = (None, True, False, "seconds", "http-date")
HANG_LIMIT = 600.0  # seconds a "hang" holds a request at most, should nobody clear it
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_ids = itertools.count(1)


class FaultError(ValueError):
    """A fault was described wrongly (unknown kind, bad count)."""


@dataclass
class Fault:
    """One injected fault. `kind` is an HTTP status ("503") or one of OTHER_KINDS (see the module)."""

    path: str
    kind: str
    times: int | None = 1
    skip: int = 0
    delay: float = 0.0  # "slow": seconds to wait before answering; "hang": the most it waits (0: HANG_LIMIT)
    reset_in: int = 60  # "429": X-RateLimit-Reset this many seconds ahead
    retry_after: bool | str | None = None  # "429": Retry-After as seconds or "http-date" (None: the option)
    status: int = 200  # "html", "malformed_json" and "data_null": the status to send them with
    id: str = ""  # only paths containing this id as a segment
    method: str = ""  # only this HTTP method ("" = any)
    owner: str = ""  # only requests whose bearer token belongs to this Clever id ("" = any)
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
        if not (isinstance(self.delay, int | float) and self.delay >= 0):
            raise FaultError("delay must be a number of seconds, 0 or more")
        if self.retry_after not in RETRY_AFTER_FORMATS:
            raise FaultError('retry_after must be true, false, null, "seconds" or "http-date"')
        if not isinstance(self.owner, str):
            raise FaultError("owner must be the Clever id a token belongs to")
        if not isinstance(self.headers, dict) or not all(_valid_header(k, v) for k, v in self.headers.items()):
            raise FaultError('headers must map header names to one-line values, e.g. {"Retry-After": "soon"}')
        self.method = self.method.upper()
        self._segments = _segments(self.path)
        self._released = threading.Event()  # not fields: never copied, listed or compared
        self._answer_when_released = True

    @property
    def active(self) -> bool:
        return self.times is None or self.fired < self.times

    def matches(self, method: str, path: str, *, owner: str = "") -> bool:
        """Return whether a request is one this fault watches (`owner`: whose bearer token it carries)."""
        if self.method and self.method != method.upper():
            return False
        if self.owner and self.owner != owner:
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

    def hold(self) -> bool:
        """For "hang": wait until the fault is released or its `delay` runs out; return whether to answer.

        False when the sandbox was reset meanwhile: the request belongs to a test that is over,
        and must not touch the state (rate-limit windows, calls) of the next one.
        """
        self._released.wait(self.delay or HANG_LIMIT)
        return self._answer_when_released

    def release(self, *, answer: bool = True) -> None:
        """Let the requests a "hang" holds go: answered normally, or (`answer=False`) not served at all."""
        self._answer_when_released = answer
        self._released.set()

    def describe(self) -> dict:
        """Return the fault as JSON-ready data (for the control API and the index page)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["headers"] = dict(self.headers)
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
