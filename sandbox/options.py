"""
The sandbox's behaviour switches, mostly for what Clever's documentation leaves open.

Defaults follow clever-api.md: where Clever's behaviour is NOT CONFIRMED, the default is
the likeliest behaviour and the option lets a test try the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

ERROR_KEYS = ("both", "message", "error")


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
    if name in ("retry_after", "authorized_by", "paging_quirks"):
        ok = isinstance(value, bool)
    elif name == "error_keys":
        ok = value in ERROR_KEYS
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
