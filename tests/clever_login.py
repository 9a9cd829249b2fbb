"""Log in with Clever from a test: the product through Django's test client, Clever (the sandbox) over real HTTP.

    from tests.clever_login import clever_login

    def test_something(client, clever_sandbox):
        clever_login(client, clever_sandbox, user_id=TEACHER_ID)   # signed in (account created if new)
        assert client.get("/classes/").status_code == 200

Lower-level steps, for tests about the login itself:

- `clever_callback(client, clever_sandbox, user_id=...)` does the round trip and returns
  a `CleverRoundTrip` whose `response` is the product's answer to the callback (for a new
  teacher, a redirect to the "Do you already have an account here?" page).
- `clever_authorize(authorize_url, user_id=...)` plays the teacher on the sandbox's sign-in
  page and returns the URL Clever redirects the browser to.
- `clever_portal_launch(clever_sandbox, user_id=...)` launches from the sandbox's Clever
  Portal (a code, no state) and returns the URL Clever sends the browser to.
- `product_get(client, url)` GETs an absolute URL (e.g. that redirect) with the test client.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from django.http import HttpResponse
from django.urls import reverse

LOGIN_PATH = "/accounts/clever/login/"
HTTP_TIMEOUT = 15


@dataclass
class CleverRoundTrip:
    response: HttpResponse  # the product's answer to Clever's redirect
    callback_url: str  # where Clever sent the browser: <our callback>?code=...&state=...
    authorize_url: str  # the sandbox sign-in page our login redirected to

    @property
    def params(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(self.callback_url).query).items()}

    @property
    def code(self) -> str:
        return self.params.get("code", "")

    @property
    def state(self) -> str:
        return self.params.get("state", "")


def clever_start(client, *, next_url: str | None = None) -> str:
    """POST "Log in with Clever" and return the Clever authorize URL the product redirects to."""
    response = client.post(LOGIN_PATH, {"next": next_url} if next_url else {})
    assert response.status_code == 302, f"login start answered {response.status_code}"
    return response["Location"]


def clever_authorize(authorize_url: str, *, user_id: str = "", cancel: bool = False) -> str:
    """Choose `user_id` (or Cancel) on the sandbox's sign-in page; return where Clever redirects the browser."""
    page = requests.get(authorize_url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"the sandbox sign-in page answered {page.status_code}"
    data = {"action": "cancel"} if cancel else {"user_id": user_id}
    answer = requests.post(authorize_url, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 302, f"the sandbox answered {answer.status_code}: {answer.text[:300]}"
    return answer.headers["Location"]


def product_get(client, url: str, **kwargs) -> HttpResponse:
    """GET an absolute URL on the product (as a browser following a redirect) with the test client."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path, **kwargs)


def clever_callback(client, clever_sandbox, *, user_id: str, next_url: str | None = None) -> CleverRoundTrip:
    """Log in with Clever up to and including the callback; return the round trip."""
    authorize_url = clever_start(client, next_url=next_url)
    assert authorize_url.startswith(f"{clever_sandbox.url}/oauth/authorize?"), authorize_url
    callback_url = clever_authorize(authorize_url, user_id=user_id)
    return CleverRoundTrip(
        response=product_get(client, callback_url), callback_url=callback_url, authorize_url=authorize_url
    )


def clever_portal_launch(clever_sandbox, *, user_id: str, district_id: str = "") -> str:
    """Launch the app from the sandbox's Clever Portal (no state); return where Clever sends the browser."""
    url = f"{clever_sandbox.url}/portal" + (f"?district_id={district_id}" if district_id else "")
    answer = requests.post(url, data={"user_id": user_id}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 302, f"the sandbox portal answered {answer.status_code}: {answer.text[:300]}"
    return answer.headers["Location"]


def clever_login(client, clever_sandbox, *, user_id: str, next_url: str | None = None) -> HttpResponse:
    """Sign in as the sandbox teacher `user_id`, answering "No, I am new here" if asked.

    Returns the product's final redirect (not followed): to `next_url` or the home page.
    """
    response = clever_callback(client, clever_sandbox, user_id=user_id, next_url=next_url).response
    if response.status_code == 302 and response["Location"] == reverse("clever_welcome"):
        response = client.post(reverse("clever_create"))
    assert response.status_code == 302, f"the Clever login ended with {response.status_code}"
    assert "_auth_user_id" in client.session, "the Clever login did not sign anyone in"
    return response
