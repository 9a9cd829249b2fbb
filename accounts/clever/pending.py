"""The Clever identity waiting for the teacher to answer "Do you already have an account here?".

It lives server-side in the session, encrypted as a whole (the Clever token with it),
for at most `CLEVER_PENDING_LOGIN_MAX_AGE` seconds (5 minutes by default: a page left open
on a shared classroom computer must not be completed by the next person).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.http import HttpRequest

from .profile import CleverProfile

SESSION_KEY = "accounts_clever_pending_login"


class PendingLoginExpired(Exception):
    """The pending Clever identity is too old (or can no longer be read): the teacher starts again."""


@dataclass(frozen=True)
class PendingLogin:
    profile: CleverProfile
    token: str
    next_url: str
    stashed_at: float

    def __repr__(self):  # never print the token
        return f"PendingLogin(clever_id={self.profile.clever_id!r}, token=<hidden>)"


def _cipher() -> MultiFernet:
    # A key of its own (derived from SECRET_KEY, fallbacks still decrypt), separate from the one
    # rosters uses for tokens at rest.
    keys = []
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        digest = hashlib.sha256(b"accounts.clever.pending:" + secret.encode()).digest()
        keys.append(Fernet(base64.urlsafe_b64encode(digest)))
    return MultiFernet(keys)


def pending_login_stash(
    request: HttpRequest, *, profile: CleverProfile, token: str, next_url: str = "", now: float | None = None
) -> None:
    """Keep a new Clever identity in the session until the teacher merges or creates an account.

    `now` (Unix seconds, the wall clock by default) is when it was stashed.
    """
    stashed_at = time.time() if now is None else now
    payload = {"profile": profile.as_dict(), "token": token, "next": next_url or "", "at": stashed_at}
    request.session[SESSION_KEY] = _cipher().encrypt(json.dumps(payload).encode()).decode()


def pending_login_get(request: HttpRequest, *, now: float | None = None) -> PendingLogin | None:
    """Return the pending Clever identity, None when there is none.

    Raises PendingLoginExpired (and forgets it) when it is older than the limit at `now`
    (Unix seconds, the wall clock by default), or unreadable.
    """
    blob = request.session.get(SESSION_KEY)
    if not blob:
        return None
    try:
        payload = json.loads(_cipher().decrypt(blob.encode()))
        pending = PendingLogin(
            profile=CleverProfile.from_dict(payload["profile"]),
            token=payload["token"],
            next_url=payload.get("next") or "",
            stashed_at=float(payload["at"]),
        )
    except (InvalidToken, ValueError, KeyError, TypeError):
        pending_login_clear(request)
        raise PendingLoginExpired from None
    age = (time.time() if now is None else now) - pending.stashed_at
    if age < 0 or age > settings.CLEVER_PENDING_LOGIN_MAX_AGE:
        pending_login_clear(request)
        raise PendingLoginExpired
    return pending


def pending_login_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
