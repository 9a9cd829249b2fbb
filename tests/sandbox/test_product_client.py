"""The product's own Clever client (rosters/clever.py) works against the sandbox, unchanged."""

import pytest

from rosters.clever import (
    CleverClient,
    CleverNotFound,
    CleverOAuthError,
    CleverRateLimited,
    CleverUnauthorized,
    exchange_code,
    list_district_tokens,
)
from sandbox import demo

from .helpers import callback_uri, code_for, demo_section_students


def test_login_and_roster_read_with_a_user_token(clever_sandbox):
    token = exchange_code(code=code_for(clever_sandbox, demo.ZOE_OBRIEN), redirect_uri=callback_uri(clever_sandbox))

    with CleverClient(token=token.access_token) as client:
        me = client.me()
        teacher = client.teacher(me.id)
        sections = client.teacher_sections(me.id)
        students = {section.id: client.section_students(section.id) for section in sections}
        school = client.school(teacher.school_id)
        district = client.district(me.district_id)

    assert (me.id, me.type, me.sharing) == (demo.ZOE_OBRIEN, "teacher", "district")
    assert teacher.first_name == "Zoë"
    assert teacher.last_name == "O'Brien"
    stem = next(section for section in sections if section.id == demo.STEM_LAB)
    assert stem.teacher_ids == (demo.ZOE_OBRIEN, demo.JOSE_NUNEZ)
    assert {s.id for s in students[demo.STEM_LAB]} == set(stem.student_ids)
    assert school.id == demo.RIVERSIDE
    assert district.name == "Demo District"
    # 3 + one call per section, as DESIGN.md promises.
    assert client.calls == 3 + len(sections) + 2


def test_library_teacher_is_read_as_library(clever_sandbox):
    token = exchange_code(code=code_for(clever_sandbox, demo.PRIYA_RAMAN), redirect_uri=callback_uri(clever_sandbox))

    with CleverClient(token=token.access_token) as client:
        me = client.me()
        sections = client.teacher_sections(me.id)
        students = client.section_students(sections[0].id)

    assert (me.district_id, me.sharing) == ("", "library")
    assert all(len(student.last_name) == 1 for student in students)


def test_sharing_falls_back_to_the_district_when_authorized_by_is_absent(clever_sandbox):
    clever_sandbox.state.set_options(authorized_by=False)

    for user_id, sharing in ((demo.PRIYA_RAMAN, "library"), (demo.ZOE_OBRIEN, "district")):
        with CleverClient(token=clever_sandbox.state.user_token(user_id)) as client:
            assert client.me().sharing == sharing


def test_district_tokens_and_paging(clever_sandbox):
    tokens = list_district_tokens()

    assert [info.district_id for info in tokens] == [demo.DISTRICT]
    with CleverClient(token=tokens[0].access_token, paginate=True, page_size=7) as client:
        sections = client.teacher_sections(demo.ZOE_OBRIEN)
        students = client.section_students(demo.WORLD_HISTORY)
    assert {section.id for section in sections} == {demo.ALGEBRA_I, demo.GEOMETRY, demo.STEM_LAB}
    assert {s.id for s in students} == set(demo_section_students(demo.WORLD_HISTORY))


def test_errors_become_the_clients_typed_errors(clever_sandbox):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)
    exchange_code(code=code, redirect_uri=callback_uri(clever_sandbox))

    with pytest.raises(CleverOAuthError) as reused:
        exchange_code(code=code, redirect_uri=callback_uri(clever_sandbox))
    assert reused.value.error == "invalid_grant"

    with CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN)) as client:
        with pytest.raises(CleverNotFound):
            client.teacher(demo.JOSE_NUNEZ)
        clever_sandbox.state.add_fault("/v2.0/**", 429, reset_in=3600, times=None)
        with pytest.raises(CleverRateLimited):
            client.teacher(demo.ZOE_OBRIEN)
    with CleverClient(token="il" + "0" * 40) as client, pytest.raises(CleverUnauthorized):
        client.me()
