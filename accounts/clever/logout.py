"""Where "Also sign out of Clever" sends a teacher: Clever's own sign-out (docs/signing-in.md#signing-out).

Signing out here ends only our session; Clever still remembers who signed in on this
browser and would sign them straight back in. On a shared computer the teacher (or a
student who reached our teachers-only page) also signs out at Clever.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

# Clever's own sign-out page, as other Clever apps link to it. Clever documents no return
# address for it, so the teacher stays on Clever's sign-in page afterwards.
CLEVER_LOGOUT_URL = "https://clever.com/logout"


def clever_logout_url(request: HttpRequest) -> str:
    """Return the address that signs this browser out of Clever, then (the sandbox) comes back home."""
    if settings.CLEVER_LOGOUT_URL:
        return settings.CLEVER_LOGOUT_URL
    if settings.CLEVER_SANDBOX:
        # The sandbox remembers who signed in with a cookie on its own host, the one its
        # sign-in page (CLEVER_OAUTH_BASE) is on; its /signout forgets them and comes back here.
        return f"{settings.CLEVER_OAUTH_BASE}/signout?{urlencode({'next': request.build_absolute_uri('/')})}"
    return CLEVER_LOGOUT_URL
