"""The Python API tests use, and the sandbox's behaviour under concurrent requests."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.test import override_settings

from sandbox import demo
from sandbox.roster import RosterError
from sandbox.state import get_sandbox
from tests.clock import START, FakeClock

from .helpers import TIMEOUT, api_get, callback_uri, code_for, exchange


def test_the_fixture_serves_the_process_wide_sandbox(clever_sandbox):
    assert clever_sandbox.state is get_sandbox()


def test_tokens_from_the_python_api_are_the_ones_oauth_gives(clever_sandbox):
    state = clever_sandbox.state

    via_oauth = exchange(clever_sandbox, code_for(clever_sandbox, demo.ZOE_OBRIEN)).json()["access_token"]
    listed = requests.get(
        f"{clever_sandbox.url}/oauth/tokens",
        params={"owner_type": "district"},
        auth=("sandbox-client-id", "sandbox-client-secret"),
        timeout=TIMEOUT,
    ).json()["data"][0]["access_token"]

    assert state.user_token(demo.ZOE_OBRIEN) == via_oauth
    assert state.district_token(demo.DISTRICT) == listed
    with pytest.raises(RosterError):
        state.user_token(demo.BIOLOGY)  # a section cannot sign in


def test_issue_code_gives_a_code_the_token_endpoint_accepts(clever_sandbox):
    code = clever_sandbox.state.issue_code(demo.PRIYA_RAMAN, redirect_uri=callback_uri(clever_sandbox))

    response = exchange(clever_sandbox, code)

    assert response.status_code == 200
    assert (
        api_get(clever_sandbox, "/v2.0/me", response.json()["access_token"]).json()["data"]["id"] == demo.PRIYA_RAMAN
    )


def test_reset_forgets_faults_options_codes_calls_clock_and_changes(clever_sandbox):
    state = clever_sandbox.state
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)
    state.add_fault("/v2.0/**", 500, times=None)
    state.set_options(rate_limit=1)
    state.remove("students", demo.MAYA_RODRIGUEZ)
    state.set_clock(FakeClock(START))

    state.reset()

    assert state.faults == []
    assert state.calls == []
    assert state.options == type(state.options)()
    assert state.clock is time.time
    assert state.get("students", demo.MAYA_RODRIGUEZ) is not None
    assert exchange(clever_sandbox, code).json()["error"] == "invalid_grant"


def test_unknown_options_are_refused(clever_sandbox):
    with pytest.raises(ValueError, match="unknown option"):
        clever_sandbox.state.set_options(rate_limt=5)


def test_concurrent_requests_share_one_rate_limit_window(clever_sandbox):
    clever_sandbox.state.set_clock(FakeClock(START))  # stopped: every request falls in one window
    clever_sandbox.state.set_options(rate_limit=30)
    token = clever_sandbox.state.district_token(demo.DISTRICT)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: api_get(clever_sandbox, "/v2.0/me", token).status_code, range(50)))

    assert results.count(200) == 30
    assert results.count(429) == 20


def test_a_code_redeemed_concurrently_works_exactly_once(clever_sandbox):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: exchange(clever_sandbox, code).status_code, range(6)))

    assert sorted(results) == [200, 400, 400, 400, 400, 400]


def test_index_page_lists_users_districts_and_active_faults(clever_sandbox):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 503, skip=2)

    with override_settings(CLEVER_CLIENT_ID="my-app", CLEVER_CLIENT_SECRET="my-app-secret-value"):
        page = requests.get(f"{clever_sandbox.url}/", timeout=TIMEOUT)

    assert page.status_code == 200
    for text in (demo.DISTRICT, demo.ZOE_OBRIEN, demo.PRIYA_RAMAN, demo.SCHOOL_ADMIN, "/v2.0/sections/*/students"):
        assert text in page.text
    assert "my-app" in page.text
    assert "my-app-secret-value" not in page.text
