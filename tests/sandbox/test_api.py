"""The data API with user (SSO) tokens: what the product's roster sync reads, and the scope rules."""

import pytest

from sandbox import demo

from .helpers import api_get, demo_file, demo_section_students, district_token, sign_in


def test_teacher_reads_own_profile_sections_and_students(clever_sandbox):
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)

    teacher = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}", token).json()
    sections = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}/sections", token).json()
    students = api_get(clever_sandbox, f"/v2.0/sections/{demo.STEM_LAB}/students", token).json()

    assert teacher["data"]["name"] == {"first": "Zoë", "middle": "", "last": "O'Brien"}
    assert teacher["links"] == [{"rel": "self", "uri": f"/v2.0/teachers/{demo.ZOE_OBRIEN}"}]
    section_ids = [item["data"]["id"] for item in sections["data"]]
    assert section_ids == sorted([demo.ALGEBRA_I, demo.GEOMETRY, demo.STEM_LAB])
    assert all(item["uri"] == f"/v2.0/sections/{item['data']['id']}" for item in sections["data"])
    stem = next(item["data"] for item in sections["data"] if item["data"]["id"] == demo.STEM_LAB)
    assert stem["teachers"] == [demo.ZOE_OBRIEN, demo.JOSE_NUNEZ]
    assert stem["teacher"] == demo.ZOE_OBRIEN
    assert [item["data"]["id"] for item in students["data"]] == sorted(stem["students"])


def test_co_teacher_sees_the_co_taught_section(clever_sandbox):
    token = sign_in(clever_sandbox, demo.JOSE_NUNEZ)

    sections = api_get(clever_sandbox, f"/v2.0/teachers/{demo.JOSE_NUNEZ}/sections", token).json()

    assert demo.STEM_LAB in [item["data"]["id"] for item in sections["data"]]


def test_user_token_gets_a_whole_list_without_paging(clever_sandbox):
    token = sign_in(clever_sandbox, demo.LIAM_CHEN)

    response = api_get(clever_sandbox, f"/v2.0/sections/{demo.WORLD_HISTORY}/students", token)

    assert response.status_code == 200
    served = sorted(item["data"]["id"] for item in response.json()["data"])
    assert len(served) == 120  # more than a page of 100: a user token gets them all at once
    assert served == sorted(demo_section_students(demo.WORLD_HISTORY))
    assert [link["rel"] for link in response.json()["links"]] == ["self"]


def test_teacher_without_email_has_null_email(clever_sandbox):
    token = sign_in(clever_sandbox, demo.RUTH_OKAFOR)

    teacher = api_get(clever_sandbox, f"/v2.0/teachers/{demo.RUTH_OKAFOR}", token).json()["data"]

    assert teacher["email"] is None


def test_teacher_reads_own_school_and_district(clever_sandbox):
    token = sign_in(clever_sandbox, demo.AMELIE_DUBOIS)

    for school_id in (demo.MAPLE_GROVE, demo.RIVERSIDE):
        assert api_get(clever_sandbox, f"/v2.0/schools/{school_id}", token).json()["data"]["id"] == school_id
    district = api_get(clever_sandbox, f"/v2.0/districts/{demo.DISTRICT}", token).json()["data"]
    assert district["name"] == "Demo District"


@pytest.mark.parametrize(
    "path",
    [
        f"/v2.0/teachers/{demo.JOSE_NUNEZ}",
        f"/v2.0/teachers/{demo.JOSE_NUNEZ}/sections",
        f"/v2.0/sections/{demo.BIOLOGY}/students",
        f"/v2.0/sections/{demo.WORLD_HISTORY}",
        f"/v2.0/students/{demo.MAYA_RODRIGUEZ}",
        "/v2.0/teachers",
        "/v2.0/students",
        "/v2.0/sections",
        f"/v2.0/schools/{demo.MAPLE_GROVE}",
        "/v2.0/teachers/ffffffffffffffffffffffff",
    ],
)
def test_teacher_token_cannot_read_outside_its_scope(clever_sandbox, path):
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)

    response = api_get(clever_sandbox, path, token)

    assert response.status_code == 404
    assert response.json()["message"] == "Resource not in token's scopes"


def test_scope_error_status_is_configurable(clever_sandbox):
    clever_sandbox.state.set_options(scope_error_status=403)
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)

    response = api_get(clever_sandbox, f"/v2.0/teachers/{demo.JOSE_NUNEZ}", token)

    assert response.status_code == 403


@pytest.mark.parametrize("param", ["limit", "starting_after", "ending_before"])
def test_user_tokens_cannot_paginate(clever_sandbox, param):
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)

    response = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}/sections", token, **{param: "1"})

    assert response.status_code == 400
    assert "paginate" in response.json()["message"]


def test_library_teacher_me_has_no_district(clever_sandbox):
    token = sign_in(clever_sandbox, demo.PRIYA_RAMAN)

    v20 = api_get(clever_sandbox, "/v2.0/me", token).json()
    v21 = api_get(clever_sandbox, "/v2.1/me", token).json()

    assert v20["data"] == {"id": demo.PRIYA_RAMAN, "type": "teacher"}
    assert v21["data"] == {"id": demo.PRIYA_RAMAN, "type": "teacher", "authorized_by": "teacher"}
    assert [link["rel"] for link in v21["links"]] == ["self", "canonical"]
    assert v21["links"][1] == {"rel": "canonical", "uri": f"/v2.1/teachers/{demo.PRIYA_RAMAN}"}


def test_district_user_me_links(clever_sandbox):
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)

    me = api_get(clever_sandbox, "/v2.0/me", token).json()

    assert me["data"] == {"id": demo.ZOE_OBRIEN, "type": "teacher", "district": demo.DISTRICT}
    assert me["links"] == [
        {"rel": "self", "uri": "/me"},
        {"rel": "canonical", "uri": f"/v2.0/teachers/{demo.ZOE_OBRIEN}"},
        {"rel": "district", "uri": f"/v2.0/districts/{demo.DISTRICT}"},
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [({"library_authorized_by": None}, None), ({"library_authorized_by": "library"}, "library")],
)
def test_library_authorized_by_is_configurable(clever_sandbox, changes, expected):
    clever_sandbox.state.set_options(**changes)
    token = sign_in(clever_sandbox, demo.PRIYA_RAMAN)

    data = api_get(clever_sandbox, "/v2.1/me", token).json()["data"]

    assert data.get("authorized_by") == expected


def test_authorized_by_can_be_left_out_entirely(clever_sandbox):
    clever_sandbox.state.set_options(authorized_by=False)

    for user_id in (demo.PRIYA_RAMAN, demo.ZOE_OBRIEN):
        data = api_get(clever_sandbox, "/v2.1/me", sign_in(clever_sandbox, user_id)).json()["data"]
        assert "authorized_by" not in data


def test_library_teacher_reads_sections_and_reduced_students(clever_sandbox):
    token = sign_in(clever_sandbox, demo.PRIYA_RAMAN)

    teacher = api_get(clever_sandbox, f"/v2.0/teachers/{demo.PRIYA_RAMAN}", token).json()["data"]
    sections = api_get(clever_sandbox, f"/v2.0/teachers/{demo.PRIYA_RAMAN}/sections", token).json()["data"]
    students = api_get(clever_sandbox, f"/v2.0/sections/{demo.READING_GROUP}/students", token).json()["data"]

    assert set(teacher) == {"id", "name", "email"}
    assert [item["data"]["id"] for item in sections] == [demo.READING_GROUP, demo.MATH_CLUB]
    assert all("district" not in item["data"] and "school" not in item["data"] for item in sections)
    assert len(students) == 8  # Reading Group in sandbox/data/demo.json
    for item in students:
        assert set(item["data"]) == {"id", "name", "grade"}
        assert set(item["data"]["name"]) == {"first", "last"}
        assert len(item["data"]["name"]["last"]) == 1
    full = next(s for s in demo_file()["students"] if s["id"] == students[0]["data"]["id"])
    assert students[0]["data"]["name"]["last"] == full["name"]["last"][0]


def test_library_teacher_cannot_read_other_library_sections_or_schools(clever_sandbox):
    token = sign_in(clever_sandbox, demo.PRIYA_RAMAN)

    other = api_get(clever_sandbox, f"/v2.0/sections/{demo.SCIENCE_EXPLORERS}/students", token)
    district = api_get(clever_sandbox, f"/v2.0/teachers/{demo.PRIYA_RAMAN}/district", token)

    assert other.status_code == 404
    assert district.status_code == 404


def test_student_token_reads_only_its_own_record(clever_sandbox):
    token = sign_in(clever_sandbox, demo.MAYA_RODRIGUEZ)

    own = api_get(clever_sandbox, f"/v2.0/students/{demo.MAYA_RODRIGUEZ}", token)
    sections = api_get(clever_sandbox, f"/v2.0/students/{demo.MAYA_RODRIGUEZ}/sections", token)
    section = api_get(clever_sandbox, f"/v2.0/sections/{demo.ALGEBRA_I}/students", token)

    assert own.status_code == 200
    assert own.json()["data"]["name"]["last"] == "Rodríguez"
    assert sections.status_code == 404
    assert section.status_code == 404


def test_library_student_reads_its_reduced_record(clever_sandbox):
    token = sign_in(clever_sandbox, demo.LIBRARY_STUDENT)

    me = api_get(clever_sandbox, "/v2.0/me", token).json()
    own = api_get(clever_sandbox, f"/v2.0/students/{demo.LIBRARY_STUDENT}", token).json()

    assert me["data"] == {"id": demo.LIBRARY_STUDENT, "type": "student"}
    assert set(own["data"]) == {"id", "name", "grade"}


def test_district_token_reads_sub_resources(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)

    teachers = api_get(clever_sandbox, f"/v2.0/sections/{demo.STEM_LAB}/teachers", token).json()["data"]
    school = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}/school", token).json()["data"]
    maya_sections = api_get(clever_sandbox, f"/v2.0/students/{demo.MAYA_RODRIGUEZ}/sections", token).json()["data"]
    school_teachers = api_get(clever_sandbox, f"/v2.0/schools/{demo.MAPLE_GROVE}/teachers", token).json()["data"]

    assert [item["data"]["id"] for item in teachers] == [demo.ZOE_OBRIEN, demo.JOSE_NUNEZ]
    assert school["id"] == demo.RIVERSIDE
    assert [item["data"]["id"] for item in maya_sections] == [demo.ALGEBRA_I, demo.BIOLOGY]
    # Amélie teaches at both schools; Ruth only at Maple Grove.
    assert [item["data"]["id"] for item in school_teachers] == [demo.RUTH_OKAFOR, demo.AMELIE_DUBOIS]


def test_district_token_does_not_see_library_records(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)

    teachers = api_get(clever_sandbox, "/v2.0/teachers", token).json()["data"]
    library = api_get(clever_sandbox, f"/v2.0/teachers/{demo.PRIYA_RAMAN}", token)

    assert demo.PRIYA_RAMAN not in [item["data"]["id"] for item in teachers]
    assert library.status_code == 404
