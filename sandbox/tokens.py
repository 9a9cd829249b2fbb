"""
Tokens and codes, shaped like Clever's.

Bearer tokens are derived from the id they belong to with an HMAC keyed by SECRET_KEY,
so they survive a restart (a product that stored one keeps working) and need no storage:
user (SSO) tokens are ``il`` + 40 hex, district-app tokens are 40 hex, as Clever's are.
Authorization codes are random and live only in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

USER_PREFIX = "il"
_HEX = 40


def _digest(message: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:_HEX]


def user_token(user_id: str) -> str:
    """Return the SSO bearer token of a teacher, student or admin."""
    return USER_PREFIX + _digest(f"user:{user_id}")


def district_token(district_id: str) -> str:
    """Return the district-app bearer token of a district."""
    return _digest(f"district:{district_id}")


def token_record_id(district_id: str) -> str:
    """Return the 24-hex id of a district's token record in GET /oauth/tokens."""
    return _digest(f"token-record:{district_id}")[:24]


def new_code() -> str:
    """Return a fresh, unguessable authorization code."""
    return secrets.token_hex(20)
