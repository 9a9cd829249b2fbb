"""
The Clever client: the one part of the project that speaks HTTP to Clever.

A package of layers, each importing only those named before it:
`errors` (what can go wrong), `records` (typed records, and the parsing of Clever's
JSON into them), `http` (timeouts, retries, rate limits, the Throttle protocol),
`client` (the data API) and `oauth` (the token endpoint). It knows nothing of the
database. The names below are its public face: `from rosters import clever` then
`clever.CleverClient`, `clever.CleverError`, `clever.exchange_code`, ...
See docs/architecture.md.
"""

from .client import ME_PATH, CleverClient
from .errors import (
    CleverBadRequest,
    CleverBadResponse,
    CleverError,
    CleverNotFound,
    CleverOAuthError,
    CleverRateLimited,
    CleverUnauthorized,
    CleverUnavailable,
)
from .http import BACKOFF_BASE, BACKOFF_CAP, MAX_ATTEMPTS, RETRY_STATUSES, Throttle, rate_limit_wait
from .oauth import exchange_code, list_district_tokens
from .records import (
    District,
    DistrictTokenInfo,
    Event,
    Me,
    School,
    Section,
    Student,
    Teacher,
    TokenResponse,
    parse_district,
    parse_event,
    parse_me,
    parse_school,
    parse_section,
    parse_student,
    parse_teacher,
)

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "MAX_ATTEMPTS",
    "ME_PATH",
    "RETRY_STATUSES",
    "CleverBadRequest",
    "CleverBadResponse",
    "CleverClient",
    "CleverError",
    "CleverNotFound",
    "CleverOAuthError",
    "CleverRateLimited",
    "CleverUnauthorized",
    "CleverUnavailable",
    "District",
    "DistrictTokenInfo",
    "Event",
    "Me",
    "School",
    "Section",
    "Student",
    "Teacher",
    "Throttle",
    "TokenResponse",
    "exchange_code",
    "list_district_tokens",
    "parse_district",
    "parse_event",
    "parse_me",
    "parse_school",
    "parse_section",
    "parse_student",
    "parse_teacher",
    "rate_limit_wait",
]
