"""
Clever's OAuth token endpoint: exchanging a login's code, and listing district-app tokens.

Both authenticate as the app (HTTP Basic with the client id and secret from settings)
and send through the same HTTP layer as the data API. The code exchange is never
retried: a code is single-use, and a second try could only fail or hide the first.
"""

from __future__ import annotations

import time

import requests
from django.conf import settings

from .errors import CleverOAuthError
from .http import Http, error_detail, json_body
from .records import DistrictTokenInfo, TokenResponse, parse_district_tokens, parse_token_response, text


def _send(
    method: str,
    *,
    client_id: str | None,
    client_secret: str | None,
    oauth_base: str | None,
    timeout: float | None,
    **kwargs,
) -> requests.Response:
    """Send one request to the token endpoint, authenticated as the app, on a connection of its own."""
    base = (oauth_base or settings.CLEVER_OAUTH_BASE).rstrip("/")
    auth = (client_id or settings.CLEVER_CLIENT_ID, client_secret or settings.CLEVER_CLIENT_SECRET)
    http = Http(timeout=timeout, max_wait=None, sleep=time.sleep)
    try:
        return http.request(
            method, f"{base}/oauth/tokens", auth=auth, headers={"Accept": "application/json"}, **kwargs
        )
    finally:
        http.close()


def exchange_code(
    *,
    code: str,
    redirect_uri: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    oauth_base: str | None = None,
    timeout: float | None = None,
) -> TokenResponse:
    """Exchange an authorization code for a user token. Never retried: a code is single-use."""
    response = _send(
        "POST",
        client_id=client_id,
        client_secret=client_secret,
        oauth_base=oauth_base,
        timeout=timeout,
        retry=False,
        data={"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri},
    )
    if response.status_code in (400, 401, 403):
        error = ""
        try:
            body = response.json()
            error = text(body, "error") if isinstance(body, dict) else ""
        except ValueError:
            pass
        raise CleverOAuthError(error_detail(response), status=response.status_code, error=error)
    return parse_token_response(json_body(response))


def list_district_tokens(
    *,
    district_id: str = "",
    client_id: str | None = None,
    client_secret: str | None = None,
    oauth_base: str | None = None,
    timeout: float | None = None,
) -> list[DistrictTokenInfo]:
    """Return the district-app tokens Clever holds for this app (optionally for one district)."""
    params = {"owner_type": "district"}
    if district_id:
        params["district"] = district_id
    response = _send(
        "GET", client_id=client_id, client_secret=client_secret, oauth_base=oauth_base, timeout=timeout, params=params
    )
    return parse_district_tokens(json_body(response))
