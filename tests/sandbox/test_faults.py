"""Injected faults, through the Python API and the HTTP control endpoints, and the call log."""

import time

import pytest
import requests

from rosters.clever import CleverClient, CleverUnavailable
from sandbox import demo

from .helpers import TIMEOUT, api_get, code_for, district_token, exchange, sign_in

SECTIONS = [demo.ALGEBRA_I, demo.GEOMETRY, demo.BIOLOGY, demo.STEM_LAB, demo.WORLD_HISTORY]


@pytest.fixture
def token(clever_sandbox):
    return district_token(clever_sandbox, demo.DISTRICT)


def statuses(sandbox, token, paths):
    return [api_get(sandbox, path, token).status_code for path in paths]


@pytest.mark.parametrize("status", [500, 501, 502, 503, 401, 404, 400])
def test_status_faults_answer_json_errors(clever_sandbox, token, status):
    clever_sandbox.state.add_fault(f"/v2.0/teachers/{demo.ZOE_OBRIEN}", status)

    faulty = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token)
    after = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token)

    assert faulty.status_code == status
    assert faulty.json()["message"]
    assert after.status_code == 200


def test_429_fault_sets_the_reset_ahead_and_has_an_empty_body(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/**", 429, reset_in=30)

    response = api_get(clever_sandbox, "/v2.0/students", token)

    assert response.status_code == 429
    assert response.content == b""
    assert 25 <= int(response.headers["X-RateLimit-Reset"]) - time.time() <= 35
    assert "Retry-After" not in response.headers


def test_429_fault_can_send_retry_after(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/**", 429, reset_in=7, retry_after=True)

    response = api_get(clever_sandbox, "/v2.0/students", token)

    assert response.headers["Retry-After"] == "7"


def test_malformed_json_fault(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "malformed_json")

    response = api_get(clever_sandbox, f"/v2.0/sections/{demo.BIOLOGY}/students", token)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):  # noqa: PT011 - requests raises its own JSONDecodeError subclass
        response.json()


def test_html_fault(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "html", status=502)

    response = api_get(clever_sandbox, f"/v2.0/sections/{demo.BIOLOGY}/students", token)

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().startswith("<")


def test_slow_fault_outlasts_a_short_client_timeout_then_answers(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/me", "slow", delay=1.0, times=2)
    url = f"{clever_sandbox.url}/v2.0/me"
    headers = {"Authorization": f"Bearer {token}"}

    with pytest.raises(requests.Timeout):
        requests.get(url, headers=headers, timeout=0.2)
    patient = requests.get(url, headers=headers, timeout=TIMEOUT)

    assert patient.status_code == 200


def test_the_next_n_calls_fail(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 503, times=2)

    result = statuses(clever_sandbox, token, [f"/v2.0/sections/{s}/students" for s in SECTIONS[:4]])

    assert result == [503, 503, 200, 200]


def test_skip_k_then_fail_n_the_third_of_five_section_calls(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 503, skip=2, times=1)

    result = statuses(clever_sandbox, token, [f"/v2.0/sections/{s}/students" for s in SECTIONS])

    assert result == [200, 200, 503, 200, 200]


def test_a_fault_for_one_id_only(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 500, id=demo.BIOLOGY, times=None)

    result = statuses(clever_sandbox, token, [f"/v2.0/sections/{s}/students" for s in SECTIONS] * 2)

    assert result == [500 if s == demo.BIOLOGY else 200 for s in SECTIONS] * 2


def test_faults_leave_other_paths_alone(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 500, times=None)

    assert api_get(clever_sandbox, f"/v2.0/sections/{demo.BIOLOGY}", token).status_code == 200
    assert api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}/sections", token).status_code == 200
    assert api_get(clever_sandbox, f"/v2.1/sections/{demo.BIOLOGY}/students", token).status_code == 200


def test_a_pattern_segment_can_be_partial(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.*/sections/*/students", 500, times=None)

    paths = [f"/{version}/sections/{demo.BIOLOGY}/students" for version in ("v2.0", "v2.1")]

    assert statuses(clever_sandbox, token, paths) == [500, 500]


def test_fault_on_the_token_endpoint(clever_sandbox):
    clever_sandbox.state.add_fault("/oauth/tokens", 503)

    response = exchange(clever_sandbox, code_for(clever_sandbox, demo.ZOE_OBRIEN))

    assert response.status_code == 503


def test_unknown_fault_kind_is_refused(clever_sandbox):
    with pytest.raises(ValueError, match="unknown fault kind"):
        clever_sandbox.state.add_fault("/v2.0/me", "explode")


def test_the_products_client_retries_through_one_503(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 503, times=1)
    clever_sandbox.state.clear_calls()

    with CleverClient(token=token, paginate=True, api_base=clever_sandbox.url, sleep=lambda seconds: None) as client:
        students = client.section_students(demo.BIOLOGY)

    assert {s.id for s in students} == set(clever_sandbox.state.get("sections", demo.BIOLOGY)["students"])
    assert clever_sandbox.state.count_calls("/v2.0/sections/*/students") == 2


def test_the_products_client_gives_up_on_a_lasting_outage(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 502, times=None)

    with (
        CleverClient(token=token, paginate=True, api_base=clever_sandbox.url, sleep=lambda s: None) as client,
        pytest.raises(CleverUnavailable),
    ):
        client.section_students(demo.BIOLOGY)


# --- The call log ------------------------------------------------------------------------------


def test_calls_are_recorded_by_path_and_token_kind(clever_sandbox, token):
    user = sign_in(clever_sandbox, demo.ZOE_OBRIEN)
    clever_sandbox.state.clear_calls()

    api_get(clever_sandbox, f"/v2.0/sections/{demo.ALGEBRA_I}/students", user)
    api_get(clever_sandbox, f"/v2.0/sections/{demo.BIOLOGY}/students", token)
    api_get(clever_sandbox, "/v2.0/me", token)
    api_get(clever_sandbox, "/v2.0/me", "bogus")

    state = clever_sandbox.state
    assert state.count_calls("/v2.0/sections/*/students") == 2
    assert state.count_calls("/v2.0/sections/*/students", token_kind="user") == 1
    assert state.count_calls("/v2.0/me", token_kind="district") == 1
    assert state.count_calls("/v2.0/me", token_kind="invalid") == 1
    assert [call.status for call in state.calls] == [200, 200, 200, 401]
    state.clear_calls()
    assert state.calls == []


def test_recorded_calls_hold_no_credentials(clever_sandbox):
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)
    district = district_token(clever_sandbox, demo.DISTRICT)
    api_get(clever_sandbox, "/v2.0/me", token)
    api_get(clever_sandbox, "/v2.0/students", district, limit="2", access_token=token, code="a-code-value")

    text = repr(clever_sandbox.state.calls)

    assert token not in text
    assert district not in text
    assert "a-code-value" not in text
    assert clever_sandbox.state.calls[-1].query == "limit=2"


# --- HTTP control ------------------------------------------------------------------------------


def control(sandbox, method, name, **kwargs):
    return requests.request(method, f"{sandbox.url}/_control/{name}", timeout=TIMEOUT, **kwargs)


def test_faults_over_http(clever_sandbox, token):
    added = control(
        clever_sandbox,
        "POST",
        "faults",
        json={"path": "/v2.0/sections/*/students", "kind": 503, "skip": 1, "times": 1},
    )
    result = statuses(clever_sandbox, token, [f"/v2.0/sections/{s}/students" for s in SECTIONS[:3]])
    listed = control(clever_sandbox, "GET", "faults").json()["faults"]
    cleared = control(clever_sandbox, "DELETE", "faults")

    assert added.status_code == 201
    assert result == [200, 503, 200]
    assert [(f["kind"], f["seen"], f["fired"], f["active"]) for f in listed] == [("503", 3, 1, False)]
    assert cleared.json() == {"faults": []}


@pytest.mark.parametrize(
    "body",
    [{"path": "/v2.0/me"}, {"path": "/v2.0/me", "kind": "explode"}, {"path": "v2.0", "kind": 500}, {"x": 1}, [1]],
)
def test_bad_faults_over_http_are_400(clever_sandbox, body):
    response = control(clever_sandbox, "POST", "faults", json=body)

    assert response.status_code == 400
    assert response.json()["error"]
    assert clever_sandbox.state.faults == []


def test_reset_over_http(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/**", 500, times=None)
    clever_sandbox.state.remove_student_from_section(demo.MAYA_RODRIGUEZ, demo.BIOLOGY)

    response = control(clever_sandbox, "POST", "reset")

    assert response.status_code == 200
    assert clever_sandbox.state.faults == []
    students = api_get(clever_sandbox, f"/v2.0/sections/{demo.BIOLOGY}/students", token).json()["data"]
    assert demo.MAYA_RODRIGUEZ in [item["data"]["id"] for item in students]


def test_options_and_calls_over_http(clever_sandbox, token):
    changed = control(clever_sandbox, "POST", "options", json={"rate_limit": 2})
    refused = control(clever_sandbox, "POST", "options", json={"rate_limit": "lots"})
    api_get(clever_sandbox, "/v2.0/me", token)
    calls = control(clever_sandbox, "GET", "calls").json()["calls"]

    assert changed.json()["options"]["rate_limit"] == 2
    assert refused.status_code == 400
    assert api_get(clever_sandbox, "/v2.0/me", token).headers["X-RateLimit-Limit"] == "2"
    me_calls = [call for call in calls if call["path"] == "/v2.0/me"]
    assert {"method": "GET", "token_kind": "district", "status": 200}.items() <= me_calls[0].items()
    assert control(clever_sandbox, "DELETE", "calls").json() == {"calls": []}
