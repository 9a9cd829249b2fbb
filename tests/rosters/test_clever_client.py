"""rosters.clever against the sandbox over HTTP: typed answers, typed errors, the retry policy."""

import logging

import pytest

from rosters import clever
from sandbox import demo

CALLBACK = "/accounts/clever/login/callback/"


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

    record = clever_sandbox.state.get("teachers", demo.ZOE_OBRIEN)
    assert (teacher.first_name, teacher.last_name, teacher.email) == ("Zoë", "O'Brien", record["email"])
    assert set(sections) == set(clever_sandbox.state.roster.sections_of("teachers", demo.ZOE_OBRIEN))
    stem = sections[demo.STEM_LAB]
    assert stem.teacher_id == demo.ZOE_OBRIEN
    assert set(stem.teacher_ids) == {demo.ZOE_OBRIEN, demo.JOSE_NUNEZ}
    assert {s.id for s in students} == set(stem.student_ids)


def test_unknown_fields_and_enum_values_are_kept_not_fatal():
    section = clever.parse_section(
        {"id": "s1", "name": "Robotics", "subject": "robotics", "grade": "14", "brand_new_field": {"x": 1}}
    )
    student = clever.parse_student({"id": "st1", "name": {"first": "Ana", "last": None}, "grade": 5})

    assert (section.subject, section.grade) == ("robotics", "14")
    assert (student.first_name, student.last_name, student.grade) == ("Ana", "", "5")


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("401", clever.CleverUnauthorized),
        ("404", clever.CleverNotFound),
        ("400", clever.CleverBadRequest),
        ("413", clever.CleverBadRequest),
        ("501", clever.CleverBadRequest),
        ("html", clever.CleverBadResponse),
        ("malformed_json", clever.CleverBadResponse),
    ],
)
def test_errors_that_retrying_cannot_fix_are_raised_at_once(clever_sandbox, teacher_client, kind, error):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", kind, times=None)

    with pytest.raises(error) as raised:
        teacher_client.teacher(demo.ZOE_OBRIEN)

    assert teacher_client.calls == 1
    assert str(raised.value.user_message)


@pytest.mark.parametrize("error_keys", ["both", "message", "error"])
def test_clevers_own_words_are_read_from_error_or_message(clever_sandbox, teacher_client, error_keys):
    clever_sandbox.state.set_options(error_keys=error_keys)

    with pytest.raises(clever.CleverNotFound) as raised:
        teacher_client.teacher(demo.JOSE_NUNEZ)  # another teacher: outside a user token's scope

    assert raised.value.detail  # whichever key carried it
    if error_keys != "error":
        assert "scope" in raised.value.detail


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_server_errors_are_retried_with_backoff(clever_sandbox, teacher_client, status):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", status, times=2)

    assert teacher_client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert teacher_client.calls == 3


def test_a_server_that_keeps_failing_gives_up_after_four_attempts(clever_sandbox, teacher_client):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=None)

    with pytest.raises(clever.CleverUnavailable):
        teacher_client.teacher(demo.ZOE_OBRIEN)
    assert teacher_client.calls == clever.MAX_ATTEMPTS


def test_a_rate_limit_waits_for_the_reset_then_retries(clever_sandbox):
    waits = []
    client = clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), sleep=waits.append)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=3, times=1)

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert client.calls == 2
    assert 1.5 < waits[0] <= 3.5  # X-RateLimit-Reset is whole seconds ahead


def test_retry_after_wins_when_clever_sends_it(clever_sandbox):
    waits = []
    client = clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), sleep=waits.append)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=2, retry_after=True, times=1)

    client.teacher(demo.ZOE_OBRIEN)

    assert 1.0 <= waits[0] <= 2.5


def test_a_rate_limit_longer_than_we_wait_is_reported_at_once(clever_sandbox):
    waits = []
    client = clever.CleverClient(
        token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), sleep=waits.append, max_wait=5
    )
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=50, times=1)

    with pytest.raises(clever.CleverRateLimited) as raised:
        client.teacher(demo.ZOE_OBRIEN)
    assert (client.calls, waits) == (1, [])
    assert raised.value.retry_after > 40


def test_a_slow_reply_times_out_and_is_retried(clever_sandbox):
    client = clever.CleverClient(
        token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN), timeout=0.3, sleep=lambda s: None
    )
    clever_sandbox.state.add_fault("/v2.0/teachers/*", "slow", delay=1.0, times=1)

    assert client.teacher(demo.ZOE_OBRIEN).id == demo.ZOE_OBRIEN
    assert client.calls == 2


def test_nothing_listening_is_unavailable():
    client = clever.CleverClient(token="t", api_base="http://127.0.0.1:9", sleep=lambda s: None)
    with pytest.raises(clever.CleverUnavailable):
        client.me()
    assert client.calls == clever.MAX_ATTEMPTS


def _code(sandbox, user_id=demo.ZOE_OBRIEN):
    return sandbox.state.issue_code(user_id, redirect_uri=sandbox.server_url + CALLBACK)


def test_the_code_exchange_gives_the_users_token(clever_sandbox):
    token = clever.exchange_code(code=_code(clever_sandbox), redirect_uri=clever_sandbox.server_url + CALLBACK)

    assert token.access_token == clever_sandbox.state.user_token(demo.ZOE_OBRIEN)
    assert token.access_token not in repr(token)


def test_the_code_exchange_is_never_retried(clever_sandbox):
    clever_sandbox.state.add_fault("/oauth/tokens", 503, times=1)

    with pytest.raises(clever.CleverUnavailable):
        clever.exchange_code(code=_code(clever_sandbox), redirect_uri=clever_sandbox.server_url + CALLBACK)
    assert clever_sandbox.state.count_calls("/oauth/tokens") == 1


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
