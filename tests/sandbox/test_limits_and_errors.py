"""API errors as Clever gives them, and the per-token rate limit."""

import pytest
import requests

from sandbox import demo
from tests.clock import START, FakeClock

from .helpers import TIMEOUT, api_get, district_token, sign_in


@pytest.fixture
def clock(clever_sandbox):
    """Stop the sandbox's clock at 2027-01-15 08:00:00 UTC, the start of a rate-limit window."""
    clock = FakeClock(START)
    clever_sandbox.state.set_clock(clock)
    return clock


def test_missing_token_is_401(clever_sandbox):
    response = api_get(clever_sandbox, "/v2.0/me", None)

    assert response.status_code == 401
    assert response.json()["message"]
    assert response.json()["error"]


def test_unknown_token_is_401(clever_sandbox):
    response = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", "il" + "0" * 40)

    assert response.status_code == 401


def test_revoked_token_is_401(clever_sandbox):
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)
    clever_sandbox.state.revoke_token(token)

    assert api_get(clever_sandbox, "/v2.0/me", token).status_code == 401


def test_unknown_id_with_a_district_token_is_404(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)

    response = api_get(clever_sandbox, "/v2.0/sections/ffffffffffffffffffffffff/students", token)

    assert response.status_code == 404
    assert response.json()["message"]


@pytest.mark.parametrize("path", ["/v2.0/courses", "/v3.0/users", "/v2.0/teachers/x/y/z", "/nothing"])
def test_unknown_paths_are_json_404s(clever_sandbox, path):
    token = district_token(clever_sandbox, demo.DISTRICT)

    response = api_get(clever_sandbox, path, token)

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("keys", "present"), [("message", {"message"}), ("error", {"error"}), ("both", {"error", "message"})]
)
def test_error_keys_option(clever_sandbox, keys, present):
    clever_sandbox.state.set_options(error_keys=keys)

    response = api_get(clever_sandbox, "/v2.0/me", None)

    assert set(response.json()) == present


def test_rate_limit_headers_on_api_responses(clever_sandbox, clock):
    for token in (sign_in(clever_sandbox, demo.ZOE_OBRIEN), district_token(clever_sandbox, demo.DISTRICT)):
        first = api_get(clever_sandbox, "/v2.0/me", token)
        second = api_get(clever_sandbox, "/v2.0/me", token)

        assert first.headers["X-RateLimit-Limit"] == "1200"
        assert first.headers["X-RateLimit-Bucket"] == "bearer"
        assert (first.headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]) == ("1199", "1198")
        assert first.headers["X-RateLimit-Reset"] == "1800000060"  # the end of the minute, in Unix seconds


def test_over_the_limit_is_429_with_an_empty_body(clever_sandbox, clock):
    clever_sandbox.state.set_options(rate_limit=3)
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)
    other = sign_in(clever_sandbox, demo.JOSE_NUNEZ)

    remaining = [api_get(clever_sandbox, "/v2.0/me", token).headers["X-RateLimit-Remaining"] for _ in range(3)]
    limited = api_get(clever_sandbox, "/v2.0/me", token)

    assert remaining == ["2", "1", "0"]
    assert limited.status_code == 429
    assert limited.content == b""
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Bucket"] == "bearer"
    assert limited.headers["X-RateLimit-Reset"] == "1800000060"
    assert "Retry-After" not in limited.headers
    # The limit is per token.
    assert api_get(clever_sandbox, "/v2.0/me", other).status_code == 200


def test_retry_after_can_be_sent(clever_sandbox, clock):
    clever_sandbox.state.set_options(rate_limit=1, retry_after=True)
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)
    clock.advance(15)

    api_get(clever_sandbox, "/v2.0/me", token)
    limited = api_get(clever_sandbox, "/v2.0/me", token)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "45"  # 15 s into the minute


def test_the_window_resets(clever_sandbox, clock):
    clever_sandbox.state.set_options(rate_limit=1, rate_limit_window=10)
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)
    api_get(clever_sandbox, "/v2.0/me", token)
    clock.advance(9.9)
    limited = api_get(clever_sandbox, "/v2.0/me", token)

    clock.advance(0.1)  # the next window
    again = api_get(clever_sandbox, "/v2.0/me", token)

    assert (limited.status_code, limited.headers["X-RateLimit-Reset"]) == (429, "1800000010")
    assert (again.status_code, again.headers["X-RateLimit-Remaining"]) == (200, "0")


def test_api_refuses_writes(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)

    response = requests.post(
        f"{clever_sandbox.url}/v2.0/students", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )

    assert response.status_code == 405
