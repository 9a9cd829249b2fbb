"""Injected faults, through the Python API and the HTTP control endpoints, and the call log."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from rosters.clever import CleverClient, CleverUnavailable
from sandbox import demo
from tests.clock import START, FakeClock

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
    clever_sandbox.state.set_clock(FakeClock(START))  # 2027-01-15 08:00:00 UTC
    clever_sandbox.state.add_fault("/v2.0/**", 429, reset_in=30)

    response = api_get(clever_sandbox, "/v2.0/students", token)

    assert response.status_code == 429
    assert response.content == b""
    assert response.headers["X-RateLimit-Reset"] == "1800000030"
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(True, "7"), ("seconds", "7"), ("http-date", "Fri, 15 Jan 2027 08:00:07 GMT")],
)
def test_429_fault_can_send_retry_after_in_seconds_or_as_an_http_date(clever_sandbox, token, retry_after, header):
    clever_sandbox.state.set_clock(FakeClock(START))
    clever_sandbox.state.add_fault("/v2.0/**", 429, reset_in=7, retry_after=retry_after)

    response = api_get(clever_sandbox, "/v2.0/students", token)

    assert response.headers["Retry-After"] == header


def test_a_fault_can_send_any_header_even_a_garbled_retry_after(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/**", 429, headers={"Retry-After": "soon"})

    response = api_get(clever_sandbox, "/v2.0/students", token)

    assert (response.status_code, response.headers["Retry-After"]) == (429, "soon")


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


def test_slow_fault_answers_normally_in_the_end(clever_sandbox, token):
    fault = clever_sandbox.state.add_fault("/v2.0/me", "slow", delay=0.1)

    patient = api_get(clever_sandbox, "/v2.0/me", token)

    assert patient.status_code == 200
    assert patient.json()["data"]["id"] == demo.DISTRICT
    assert (fault.seen, fault.fired) == (1, 1)


def test_a_hang_never_answers_so_any_client_timeout_fires(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/me", "hang", times=None)
    headers = {"Authorization": f"Bearer {token}"}

    with pytest.raises(requests.Timeout):
        requests.get(f"{clever_sandbox.url}/v2.0/me", headers=headers, timeout=0.5)


def test_a_hang_is_answered_once_the_fault_is_cleared(clever_sandbox, token):
    fault = clever_sandbox.state.add_fault("/v2.0/me", "hang")

    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(api_get, clever_sandbox, "/v2.0/me", token)
        wait_until(lambda: fault.fired == 1)  # the request has arrived and is being held
        assert not held.done()
        clever_sandbox.state.clear_faults()
        answer = held.result(timeout=TIMEOUT)

    assert answer.status_code == 200
    assert answer.json()["data"]["id"] == demo.DISTRICT


def test_a_request_held_when_the_sandbox_resets_is_not_served(clever_sandbox, token):
    fault = clever_sandbox.state.add_fault("/v2.0/me", "hang")

    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(api_get, clever_sandbox, "/v2.0/me", token)
        wait_until(lambda: fault.fired == 1)
        clever_sandbox.state.reset()  # as between two tests
        answer = held.result(timeout=TIMEOUT)

    assert (answer.status_code, answer.json()) == (
        503,
        {"message": "The sandbox was reset while this request was held"},
    )
    # It touched nothing after the reset: the next request is the first of the token's window.
    assert api_get(clever_sandbox, "/v2.0/me", token).headers["X-RateLimit-Remaining"] == "1199"
    assert [call.path for call in clever_sandbox.state.calls] == ["/v2.0/me"]


def wait_until(condition, *, polls=3000):
    """Poll `condition` every 10 ms until it holds; fail after `polls` tries (a hang guard, not a timing)."""
    for _ in range(polls):
        if condition():
            return
        time.sleep(0.01)
    pytest.fail("the condition never held")


def test_a_reset_fault_resets_the_connection_without_an_answer(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/me", "reset")

    with pytest.raises(requests.ConnectionError, match="ConnectionResetError"):
        api_get(clever_sandbox, "/v2.0/me", token)

    assert api_get(clever_sandbox, "/v2.0/me", token).status_code == 200  # the next connection is fine
    assert [call.status for call in clever_sandbox.state.calls if call.path == "/v2.0/me"] == [None, 200]


def raw_get(sandbox, path: str, token: str) -> tuple[bytes, bytes]:
    """Send one HTTP/1.1 GET on a fresh socket; return the head and body read until the server closed it."""
    address = urlsplit(sandbox.url)
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as connection:
        request = (
            f"GET {address.path}{path} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        connection.sendall(request.encode())
        received = b""
        while chunk := connection.recv(65536):  # b"": the server closed the connection
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


def test_a_cut_off_reply_on_the_wire(clever_sandbox, token):
    full = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token).content
    clever_sandbox.state.add_fault("/v2.0/teachers/*", "cut_off")

    head, body = raw_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token)

    assert head.startswith(b"HTTP/1.1 200 OK")
    assert f"Content-Length: {len(full)}".encode() in head
    assert body == full[: len(full) // 2]


def test_a_cut_off_reply_is_a_broken_body_to_a_client(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", "cut_off")

    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token)


def test_data_null_answers_valid_json_without_data(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "data_null")

    response = api_get(clever_sandbox, f"/v2.0/sections/{demo.BIOLOGY}/students", token)

    assert (response.status_code, response.json()) == (200, {"data": None})


def test_no_id_drops_the_id_of_the_first_record_only(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/**", "no_id", times=2)

    one = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token).json()["data"]
    listed = api_get(clever_sandbox, f"/v2.0/sections/{demo.STEM_LAB}/teachers", token).json()["data"]

    assert "id" not in one
    assert (one["name"]["first"], one["name"]["last"]) == ("Zoë", "O'Brien")
    assert ["id" in item["data"] for item in listed] == [False, True]  # STEM Lab: O'Brien and Núñez
    assert listed[1]["data"]["id"] == demo.JOSE_NUNEZ


def test_next_loop_points_the_next_link_back_at_the_page_itself(clever_sandbox, token):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "next_loop")
    path = f"/v2.0/sections/{demo.WORLD_HISTORY}/students"

    body = api_get(clever_sandbox, path, token, limit="5").json()

    assert len(body["data"]) == 5
    assert body["links"] == [
        {"rel": "self", "uri": f"{path}?limit=5"},
        {"rel": "next", "uri": f"{path}?limit=5"},
    ]


def test_a_fault_for_one_token_owner_leaves_everyone_else_alone(clever_sandbox):
    zoe, jose = sign_in(clever_sandbox, demo.ZOE_OBRIEN), sign_in(clever_sandbox, demo.JOSE_NUNEZ)
    clever_sandbox.state.add_fault("/v2.0/**", 401, owner=demo.ZOE_OBRIEN, times=None)

    refused = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", zoe)
    fine = api_get(clever_sandbox, f"/v2.0/teachers/{demo.JOSE_NUNEZ}", jose)

    assert (refused.status_code, refused.json()["message"]) == (401, "Unauthorized: invalid or expired token")
    assert fine.status_code == 200


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

    assert len(students) == 24  # Biology - Núñez - 2 in sandbox/data/demo.json
    assert demo.MAYA_RODRIGUEZ in {s.id for s in students}
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


def _reset(sandbox, token, path):
    with pytest.raises(requests.ConnectionError):
        api_get(sandbox, path, token)
    return "reset"


def _cut_off(sandbox, token, path):
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api_get(sandbox, path, token)
    return "cut off"


def _timed_out(sandbox, token, path):
    with pytest.raises(requests.Timeout):
        requests.get(f"{sandbox.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=0.5)
    return "timed out"


def _json(sandbox, token, path):
    return api_get(sandbox, path, token, limit="2").json()


def _retry_after(sandbox, token, path):
    response = api_get(sandbox, path, token)
    return response.status_code, response.headers["Retry-After"]


def _status(sandbox, token, path):
    return api_get(sandbox, path, token).status_code


TEACHER = f"/v2.0/teachers/{demo.ZOE_OBRIEN}"
STEM_STUDENTS = f"/v2.0/sections/{demo.STEM_LAB}/students"


@pytest.mark.parametrize(
    ("fault", "see", "path", "seen"),
    [
        ({"kind": "reset"}, _reset, TEACHER, "reset"),
        ({"kind": "cut_off"}, _cut_off, TEACHER, "cut off"),
        ({"kind": "hang"}, _timed_out, TEACHER, "timed out"),
        ({"kind": "data_null"}, _json, TEACHER, {"data": None}),
        ({"kind": "no_id"}, lambda *a: "id" in _json(*a)["data"], TEACHER, False),
        (
            {"kind": "next_loop"},
            lambda *a: _json(*a)["links"][-1],
            STEM_STUDENTS,
            {"rel": "next", "uri": f"{STEM_STUDENTS}?limit=2"},
        ),
        (
            {"kind": 429, "retry_after": "http-date", "reset_in": 5},
            _retry_after,
            TEACHER,
            (429, "Fri, 15 Jan 2027 08:00:05 GMT"),
        ),
        ({"kind": 429, "headers": {"Retry-After": "soon"}}, _retry_after, TEACHER, (429, "soon")),
        ({"kind": 401, "owner": demo.DISTRICT}, _status, TEACHER, 401),
        ({"kind": 401, "owner": demo.ZOE_OBRIEN}, _status, TEACHER, 200),  # the district's token is not hers
    ],
    ids=[
        "reset",
        "cut_off",
        "hang",
        "data_null",
        "no_id",
        "next_loop",
        "http-date",
        "garbled",
        "owner",
        "other-owner",
    ],
)
def test_every_kind_of_fault_over_http(clever_sandbox, token, fault, see, path, seen):
    clever_sandbox.state.set_clock(FakeClock(START))
    added = control(clever_sandbox, "POST", "faults", json={"path": "/v2.0/**", **fault})

    assert added.status_code == 201, added.text
    assert see(clever_sandbox, token, path) == seen
    listed = control(clever_sandbox, "GET", "faults").json()["faults"]
    assert [(f["kind"], f["owner"], f["headers"]) for f in listed] == [
        (str(fault["kind"]), fault.get("owner", ""), fault.get("headers", {}))
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"path": "/v2.0/me"},
        {"path": "/v2.0/me", "kind": "explode"},
        {"path": "v2.0", "kind": 500},
        {"x": 1},
        [1],
        {"path": "/v2.0/me", "kind": 429, "retry_after": "tomorrow"},
        {"path": "/v2.0/me", "kind": 429, "headers": {"Retry-After": "a\r\nSet-Cookie: x=1"}},
        {"path": "/v2.0/me", "kind": 429, "headers": ["Retry-After"]},
        {"path": "/v2.0/me", "kind": 401, "owner": 7},
    ],
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
