"""HTTP helpers for the sandbox tests: drive it as a product (and a browser) would, with requests."""

import json
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

CLIENT = ("sandbox-client-id", "sandbox-client-secret")
TIMEOUT = 10
DEMO_FILE = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "demo.json"


@cache
def demo_file() -> dict:
    """Return the demo roster as its JSON file has it, read without the sandbox's code (an independent oracle)."""
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def demo_section_students(section_id: str) -> list[str]:
    """Return the student ids the demo file lists for a section, in the file's order."""
    return next(section["students"] for section in demo_file()["sections"] if section["id"] == section_id)


def callback_uri(sandbox) -> str:
    """Return the product's callback URL on the sandbox's own server (a registered redirect URI)."""
    return f"{sandbox.server_url}/accounts/clever/login/callback/"


def authorize_params(sandbox, **overrides) -> dict:
    params = {"response_type": "code", "client_id": CLIENT[0], "redirect_uri": callback_uri(sandbox), "state": "s1"}
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def choose(sandbox, user_id: str, **params) -> requests.Response:
    """POST the sign-in page's choice of user, as the page's form does; do not follow the redirect."""
    return requests.post(
        f"{sandbox.url}/oauth/authorize",
        params=authorize_params(sandbox, **params),
        data={"user_id": user_id},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def query_of(location: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def code_for(sandbox, user_id: str, **params) -> str:
    response = choose(sandbox, user_id, **params)
    assert response.status_code == 302, response.text[:500]
    return query_of(response.headers["Location"])["code"]


def exchange(sandbox, code: str, *, redirect_uri: str | None = None, auth=CLIENT, **kwargs) -> requests.Response:
    data = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri or callback_uri(sandbox)}
    return requests.post(f"{sandbox.url}/oauth/tokens", data=data, auth=auth, timeout=TIMEOUT, **kwargs)


def sign_in(sandbox, user_id: str) -> str:
    """Return a user token obtained through the whole OAuth flow."""
    response = exchange(sandbox, code_for(sandbox, user_id))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def district_token(sandbox, district_id: str) -> str:
    """Return the district-app token listed at GET /oauth/tokens?owner_type=district."""
    response = requests.get(
        f"{sandbox.url}/oauth/tokens", params={"owner_type": "district"}, auth=CLIENT, timeout=TIMEOUT
    )
    response.raise_for_status()
    return next(item["access_token"] for item in response.json()["data"] if item["owner"]["id"] == district_id)


def api_get(sandbox, path: str, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{sandbox.url}{path}", params=params or None, headers=headers, timeout=TIMEOUT)


def follow(sandbox, path: str, token: str, *, rel: str = "next", **params) -> tuple[list[str], int]:
    """Follow `rel` links from `path` until there is none or a page is empty; return the ids seen and pages read."""
    ids, pages = [], 0
    response = api_get(sandbox, path, token, **params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        if not body["data"]:
            return ids, pages
        page_ids = [item["data"]["id"] for item in body["data"]]
        ids.extend(page_ids if rel == "next" else reversed(page_ids))
        link = next((link["uri"] for link in body["links"] if link["rel"] == rel), None)
        if link is None:
            return ids, pages
        response = api_get(sandbox, link, token)
