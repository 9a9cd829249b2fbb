"""
The sandbox's behaviour switches, mostly for what Clever's documentation leaves open.

Defaults follow clever-api.md: where Clever's behaviour is NOT CONFIRMED, the default is
the likeliest behaviour and the option lets a test try the others.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields

ERROR_KEYS = ("both", "message", "error")
EVENTS_OFF_ANSWERS = ("empty", "401", "403", "404")
EVENTS_UNKNOWN_CURSOR_ANSWERS = ("404", "400", "empty", "first")
PREVIOUS_ATTRIBUTES_PLACES = ("data", "event")
_ID_RE = re.compile(r"^[0-9a-f]{24}$")


class OptionError(ValueError):
    """An option name or value is not one the sandbox knows."""


@dataclass
class Options:
    # Seconds an authorization code stays valid (Clever: about a minute). 0 expires codes at once.
    code_lifetime: float = 60.0
    # Requests per token per window, and the fixed window's length in seconds (Clever: 1200 / 60).
    rate_limit: int = 1200
    rate_limit_window: int = 60
    # Send Retry-After with 429 answers (NOT CONFIRMED; Clever documents only X-RateLimit-Reset).
    retry_after: bool = False
    # Which keys API error bodies carry: "both", "message" (the v2 spec) or "error" (v1 servers).
    error_keys: str = "both"
    # Status for a request outside a user token's scope (NOT CONFIRMED; 404 per Clever's error table).
    scope_error_status: int = 404
    # Whether /v2.1/me carries `authorized_by` at all, and its value for Library users
    # (None leaves the key out for them). District users always get "district".
    authorized_by: bool = True
    library_authorized_by: str | None = "teacher"
    # Clever's documented paging quirk: a starting_after page always has a prev link (and an
    # ending_before page a next link), even when nothing is there.
    paging_quirks: bool = True
    default_page_size: int = 100
    max_page_size: int = 10000
    # The Events API (docs/sandbox-events.md). Events can be off for the whole app (Clever's
    # dashboard: Settings > Integrations > Enable events) or for some districts; while off,
    # changes record no events.
    events_enabled: bool = True
    events_disabled_districts: list[str] = field(default_factory=list)
    # What /events answers with events off (NOT CONFIRMED; Clever: "nothing to give"):
    # "empty" (200, no events) or an error status "401", "403", "404".
    events_disabled_answer: str = "empty"
    # What a starting_after / ending_before id the feed does not have (forgotten, another
    # district's, never issued) gets (NOT CONFIRMED): an error "404" or "400", an "empty"
    # page, or the "first" page of what the feed still has.
    events_unknown_cursor: str = "404"
    # Where updated events carry previous_attributes: "data" (beside `object`, as in Clever's
    # recorded responses) or "event" (beside `data`, as Clever's OpenAPI file draws it).
    events_previous_attributes: str = "data"
    # Events older than this many days are forgotten (Clever keeps 30); 0 keeps them all.
    events_window_days: int = 30

    def update(self, **changes) -> None:
        """Change some options, checking names and types; nothing changes when one is wrong."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise OptionError(f"unknown option {name!r} (known: {', '.join(known)})")
            _check(name, value)
        for name, value in changes.items():
            setattr(self, name, value)

    def as_dict(self) -> dict:
        return asdict(self)


def _check(name: str, value: object) -> None:
    if name in ("retry_after", "authorized_by", "paging_quirks", "events_enabled"):
        ok = isinstance(value, bool)
    elif name == "error_keys":
        ok = value in ERROR_KEYS
    elif name == "events_disabled_districts":
        ok = isinstance(value, list) and all(isinstance(i, str) and _ID_RE.match(i) for i in value)
    elif name == "events_disabled_answer":
        ok = value in EVENTS_OFF_ANSWERS
    elif name == "events_unknown_cursor":
        ok = value in EVENTS_UNKNOWN_CURSOR_ANSWERS
    elif name == "events_previous_attributes":
        ok = value in PREVIOUS_ATTRIBUTES_PLACES
    elif name == "events_window_days":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif name == "library_authorized_by":
        ok = value is None or isinstance(value, str)
    elif name == "scope_error_status":
        ok = isinstance(value, int) and 400 <= value <= 499
    elif name == "code_lifetime":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if not ok:
        raise OptionError(f"option {name}: {value!r} is not a valid value")
