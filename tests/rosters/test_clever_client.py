"""rosters.clever against the sandbox over HTTP: typed answers, typed errors, the retry policy.

Every way Clever (or the network) fails on the wire is injected with a sandbox fault, and
each test names the typed error and the literal message a teacher would read.
"""

import logging
import socket

import pytest

from rosters import clever
from sandbox import demo
from tests.clock import START, FakeClock

CALLBACK = "/accounts/clever/login/callback/"
UNAVAILABLE = "Clever is not responding right now. Please try again in a few minutes."
UNREADABLE = "Clever sent a reply we could not read. Please try again in a few minutes."
SIGN_IN_AGAIN = "Your Clever sign-in has expired. Please log in with Clever again."
NOT_SHARED = "Clever no longer shares this information with us."
REFUSED = "Clever refused our request. Our team has been told; please try again later."
BUSY = "Clever is busy right now. Please try again in a minute."


@pytest.fixture
def teacher_client(clever_sandbox):
    with clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), sleep=lambda s: None) as client:
        yield client


def test_me_tells_district_from_library(clever_sandbox):
    zoe = clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN)).me()
    priya = clever.CleverClient(token=clever_sandbox.state.user_token(demo.PRIYA_RAMAN)).me()

    assert (zoe.id, zoe.type, zoe.district_id, zoe.sharing) == (demo.ZOE_OBRIEN, "teacher", demo.DISTRICT, "district")
    assert (priya.id, priya.type, priya.district_id, priya.sharing) == (demo.PRIYA_RAMAN, "teacher", "", "library")


def test_without_authorized_by_the_district_decides(clever_sandbox):
    clever_sandbox.state.set_options(authorized_by=False)

    zoe = clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN)).me()
    priya = clever.CleverClient(token=clever_sandbox.state.user_token(demo.PRIYA_RAMAN)).me()

    assert (zoe.authorized_by, zoe.sharing) == ("", "district")
    assert (priya.authorized_by, priya.sharing) == ("", "library")


def test_teacher_sections_and_students_are_typed(clever_sandbox, teacher_client):
    teacher = teacher_client.teacher(demo.ZOE_OBRIEN)
    sections = {s.id: s for s in teacher_client.teacher_sections(demo.ZOE_OBRIEN)}
    students = teacher_client.section_students(demo.STEM_LAB)

    # As sandbox/data/demo.json (and sandbox/demo.py) describe her.
    assert (teacher.first_name, teacher.last_name, teacher.email) == (
        "Zoë",
        "O'Brien",
        "zoe.obrien@demodistrict.example",
    )
    assert set(sections) == {demo.ALGEBRA_I, demo.GEOMETRY, demo.STEM_LAB}
    stem = sections[demo.STEM_LAB]
    assert (stem.name, stem.teacher_id, stem.teacher_ids) == (
        "STEM Lab - O'Brien - 5",
        demo.ZOE_OBRIEN,
        (demo.ZOE_OBRIEN, demo.JOSE_NUNEZ),
    )
    assert len(students) == 16
    assert {s.id for s in students} == set(stem.student_ids)


def test_unknown_fields_and_enum_values_are_kept_not_fatal():
    section = clever.parse_section(
        {"id": "s1", "name": "Robotics", "subject": "robotics", "grade": "14", "brand_new_field": {"x": 1}}
    )
    student = clever.parse_student({"id": "st1", "name": {"first": "Ana", "last": None}, "grade": 5})

    assert (section.subject, section.grade) == ("robotics", "14")
    assert (student.first_name, student.last_name, student.grade) == ("Ana", "", "5")


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ({"kind": "401"}, clever.CleverUnauthorized, SIGN_IN_AGAIN),
        ({"kind": "404"}, clever.CleverNotFound, NOT_SHARED),
        ({"kind": "400"}, clever.CleverBadRequest, REFUSED),
        ({"kind": "413"}, clever.CleverBadRequest, REFUSED),
        ({"kind": "501"}, clever.CleverBadRequest, REFUSED),
        ({"kind": "html"}, clever.CleverBadResponse, UNREADABLE),
        ({"kind": "malformed_json"}, clever.CleverBadResponse, UNREADABLE),
        ({"kind": "data_null"}, clever.CleverBadResponse, UNREADABLE),
        ({"kind": "no_id"}, clever.CleverBadResponse, UNREADABLE),
    ],
    ids=["401", "404", "400", "413", "501", "html", "malformed_json", "data_null", "no_id"],
)
def test_errors_that_retrying_cannot_fix_are_raised_at_once(clever_sandbox, teacher_client, fault, error, message):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", times=None, **fault)

    with pytest.raises(error) as raised:
        teacher_client.teacher(demo.ZOE_OBRIEN)

    assert teacher_client.calls == 1
    assert str(raised.value.user_message) == message


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ({"kind": "malformed_json"}, "malformed JSON"),
        ({"kind": "html"}, "an HTML page instead of JSON"),
        ({"kind": "data_null"}, "the reply has no data object"),
        ({"kind": "no_id"}, "teacher has no id"),
    ],
)
def test_what_was_wrong_with_an_unreadable_reply_is_kept_for_staff(clever_sandbox, teacher_client, fault, detail):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", **fault)

    with pytest.raises(clever.CleverBadResponse) as raised:
        teacher_client.teacher(demo.ZOE_OBRIEN)

    assert raised.value.detail == detail


def test_a_list_with_no_data_or_a_record_without_an_id_is_unreadable(clever_sandbox, teacher_client):
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "data_null", times=1)
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "no_id", skip=1, times=1)

    with pytest.raises(clever.CleverBadResponse) as null:
        teacher_client.section_students(demo.STEM_LAB)
    with pytest.raises(clever.CleverBadResponse) as no_id:
        teacher_client.section_students(demo.STEM_LAB)

    assert (null.value.detail, no_id.value.detail) == ("the reply has no data list", "student has no id")
    assert str(no_id.value.user_message) == UNREADABLE


@pytest.mark.parametrize(
    ("error_keys", "detail"),
    [
        ("both", "not_found - Resource not in token's scopes"),
        ("message", "Resource not in token's scopes"),
        ("error", "not_found"),
    ],
)
def test_clevers_own_words_are_read_from_error_or_message(clever_sandbox, teacher_client, error_keys, detail):
    clever_sandbox.state.set_options(error_keys=error_keys)

    with pytest.raises(clever.CleverNotFound) as raised:
        teacher_client.teacher(demo.JOSE_NUNEZ)  # another teacher: outside a user token's scope

    assert raised.value.detail == detail


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_server_errors_are_retried_with_backoff(clever_sandbox, teacher_client, status):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", status, times=2)

    assert teacher_client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert teacher_client.calls == 3


def test_a_server_that_keeps_failing_gives_up_after_four_attempts(clever_sandbox, teacher_client):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=None)

    with pytest.raises(clever.CleverUnavailable) as raised:
        teacher_client.teacher(demo.ZOE_OBRIEN)

    assert teacher_client.calls == 4
    assert str(raised.value.user_message) == UNAVAILABLE


# --- Rate limits: the sandbox and the client read one stopped clock ---------------------------


@pytest.fixture
def clock(clever_sandbox):
    """2027-01-15 08:00:00 UTC for the sandbox and for the clients made with `waiting_client`."""
    clock = FakeClock(START)
    clever_sandbox.state.set_clock(clock)
    return clock


def waiting_client(sandbox, clock, **options):
    """Return Zoë O'Brien's client, reading `clock`; its waits are recorded in clock.sleeps, not slept."""
    return clever.CleverClient(
        token=sandbox.state.user_token(demo.ZOE_OBRIEN), clock=clock, sleep=clock.sleep, **options
    )


def test_a_rate_limit_waits_for_the_reset_then_retries(clever_sandbox, clock):
    client = waiting_client(clever_sandbox, clock)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=3, times=1)  # X-RateLimit-Reset: now + 3

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert client.calls == 2
    assert len(clock.sleeps) == 1
    assert 3 <= clock.sleeps[0] <= 3.25  # and up to a quarter second of jitter


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("2", 2), ("Fri, 15 Jan 2027 08:00:02 GMT", 2), ("Fri, 15 Jan 2027 07:00:00 GMT", 0)],
    ids=["seconds", "http-date", "past-date"],
)
def test_retry_after_wins_when_clever_sends_it(clever_sandbox, clock, retry_after, wait):
    client = waiting_client(clever_sandbox, clock)
    # X-RateLimit-Reset says 4 s; Retry-After says otherwise.
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=4, headers={"Retry-After": retry_after})

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert len(clock.sleeps) == 1
    assert wait <= clock.sleeps[0] <= wait + 0.25


@pytest.mark.parametrize("garbage", ["soon", "-", "1e999", "Fri, 99 Foo 2027"])
def test_a_retry_after_that_cannot_be_read_counts_as_absent(clever_sandbox, clock, garbage):
    client = waiting_client(clever_sandbox, clock)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=4, headers={"Retry-After": garbage})

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert client.calls == 2
    assert 4 <= clock.sleeps[0] <= 4.25  # X-RateLimit-Reset decided


def test_a_rate_limit_with_nothing_readable_waits_a_moment_and_retries(clever_sandbox, clock):
    client = waiting_client(clever_sandbox, clock)
    clever_sandbox.state.add_fault(
        "/v2.0/teachers/*", 429, headers={"Retry-After": "soon", "X-RateLimit-Reset": "later"}
    )

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert clock.sleeps == [0.5]  # clever.BACKOFF_BASE


@pytest.mark.parametrize(
    "fault", [{"reset_in": 50}, {"reset_in": 50, "retry_after": "http-date"}], ids=["reset", "http-date"]
)
def test_a_rate_limit_longer_than_we_wait_is_reported_at_once(clever_sandbox, clock, fault):
    client = waiting_client(clever_sandbox, clock, max_wait=5)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, times=1, **fault)

    with pytest.raises(clever.CleverRateLimited) as raised:
        client.teacher(demo.ZOE_OBRIEN)

    assert (client.calls, clock.sleeps) == (1, [])
    assert 50 <= raised.value.retry_after <= 50.25
    assert str(raised.value.user_message) == BUSY


# --- The network ----------------------------------------------------------------------------


def test_a_reply_that_never_comes_times_out_and_is_retried(clever_sandbox):
    client = clever.CleverClient(
        token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), timeout=0.2, sleep=lambda s: None
    )
    clever_sandbox.state.add_fault("/v2.0/teachers/*", "hang", times=1)  # held until the test ends

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert client.calls == 2


@pytest.mark.parametrize(
    ("kind", "detail"),
    [("hang", "timed out"), ("reset", "connection failed"), ("cut_off", "connection failed")],
)
def test_a_network_that_keeps_failing_is_unavailable_after_four_attempts(clever_sandbox, kind, detail):
    client = clever.CleverClient(
        token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), timeout=0.2, sleep=lambda s: None
    )
    clever_sandbox.state.add_fault("/v2.0/teachers/*", kind, times=None)

    with pytest.raises(clever.CleverUnavailable) as raised:
        client.teacher(demo.ZOE_OBRIEN)

    assert (client.calls, raised.value.detail) == (4, detail)
    assert str(raised.value.user_message) == UNAVAILABLE


@pytest.mark.parametrize("kind", ["reset", "cut_off"])
def test_a_reset_connection_or_a_reply_cut_off_mid_way_is_retried(clever_sandbox, teacher_client, kind):
    clever_sandbox.state.add_fault("/v2.0/teachers/*/sections", kind, times=1)

    sections = teacher_client.teacher_sections(demo.ZOE_OBRIEN)

    assert {section.id for section in sections} == {demo.ALGEBRA_I, demo.GEOMETRY, demo.STEM_LAB}
    assert teacher_client.calls == 2


def test_a_refused_connection_is_unavailable():
    with socket.socket() as bound:  # a port that is ours but not listening: connecting is refused
        bound.bind(("127.0.0.1", 0))
        client = clever.CleverClient(
            token="t", api_base=f"http://127.0.0.1:{bound.getsockname()[1]}", sleep=lambda s: None
        )
        with pytest.raises(clever.CleverUnavailable) as raised:
            client.me()

    assert (client.calls, raised.value.detail) == (4, "connection failed")
    assert str(raised.value.user_message) == UNAVAILABLE


def test_a_next_link_that_loops_is_unreadable_not_endless(clever_sandbox):
    token = clever_sandbox.state.district_token(demo.DISTRICT)
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", "next_loop", times=None)

    with (
        clever.CleverClient(token=token, paginate=True, page_size=50, sleep=lambda s: None) as client,
        pytest.raises(clever.CleverBadResponse) as raised,
    ):
        client.section_students(demo.WORLD_HISTORY)

    assert raised.value.detail == "pagination went round in a circle"
    assert str(raised.value.user_message) == UNREADABLE
    assert client.calls == 2  # the first page, then the same page again: no third request


def test_a_fault_for_one_teachers_token_refuses_her_only(clever_sandbox):
    clever_sandbox.state.add_fault("/v2.0/**", 401, owner=demo.ZOE_OBRIEN, times=None)
    zoe = clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN))
    jose = clever.CleverClient(token=clever_sandbox.state.user_token(demo.JOSE_NUNEZ))

    with pytest.raises(clever.CleverUnauthorized) as raised:
        zoe.teacher(demo.ZOE_OBRIEN)

    assert str(raised.value.user_message) == SIGN_IN_AGAIN
    assert jose.teacher(demo.JOSE_NUNEZ).first_name == "José"


def _code(sandbox, user_id=demo.ZOE_OBRIEN):
    return sandbox.state.issue_code(user_id, redirect_uri=sandbox.server_url + CALLBACK)


def test_the_code_exchange_gives_the_users_token(clever_sandbox):
    token = clever.exchange_code(code=_code(clever_sandbox), redirect_uri=clever_sandbox.server_url + CALLBACK)

    assert token.access_token == clever_sandbox.state.user_token(demo.ZOE_OBRIEN)
    assert token.access_token not in repr(token)


@pytest.mark.parametrize("kind", ["503", "reset", "cut_off"])
def test_the_code_exchange_is_never_retried(clever_sandbox, kind):
    clever_sandbox.state.add_fault("/oauth/tokens", kind, times=1)

    with pytest.raises(clever.CleverUnavailable) as raised:
        clever.exchange_code(code=_code(clever_sandbox), redirect_uri=clever_sandbox.server_url + CALLBACK)

    assert clever_sandbox.state.count_calls("/oauth/tokens") == 1
    assert str(raised.value.user_message) == UNAVAILABLE


def test_a_used_code_is_an_invalid_grant(clever_sandbox):
    code = _code(clever_sandbox)
    clever.exchange_code(code=code, redirect_uri=clever_sandbox.server_url + CALLBACK)

    with pytest.raises(clever.CleverOAuthError) as raised:
        clever.exchange_code(code=code, redirect_uri=clever_sandbox.server_url + CALLBACK)
    assert (raised.value.status, raised.value.error) == (400, "invalid_grant")


def test_wrong_client_credentials_are_refused(clever_sandbox):
    with pytest.raises(clever.CleverOAuthError) as raised:
        clever.exchange_code(
            code=_code(clever_sandbox), redirect_uri=clever_sandbox.server_url + CALLBACK, client_secret="wrong"
        )
    assert raised.value.status == 401


def test_district_tokens_are_listed(clever_sandbox):
    tokens = clever.list_district_tokens()

    assert [(t.district_id, t.access_token) for t in tokens] == [
        (demo.DISTRICT, clever_sandbox.state.district_token(demo.DISTRICT))
    ]


def test_no_token_or_code_reaches_the_logs(clever_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    code = _code(clever_sandbox)
    token = clever.exchange_code(code=code, redirect_uri=clever_sandbox.server_url + CALLBACK).access_token
    client = clever.CleverClient(token=token, sleep=lambda s: None)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 500, times=1)
    client.teacher(demo.ZOE_OBRIEN)
    with pytest.raises(clever.CleverError) as raised:
        client.teacher(demo.JOSE_NUNEZ)

    logged = caplog.text + str(raised.value)
    assert "Clever GET" in caplog.text
    assert token not in logged
    assert code not in logged
    assert "Bearer" not in logged
