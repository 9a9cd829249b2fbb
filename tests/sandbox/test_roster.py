"""Rosters: the demo data, CLEVER_SANDBOX_DATA files, validation errors, and changing a roster in tests."""

import json

import pytest
import requests
from django.test import override_settings

from sandbox import demo
from sandbox.roster import Roster, RosterError
from sandbox.state import load_roster_file

from .helpers import TIMEOUT, api_get, district_token, sign_in

SMALL = {
    "districts": [{"id": "a" * 24, "name": "Small District"}],
    "schools": [{"id": "b" * 24, "district": "a" * 24, "name": "Only School"}],
    "teachers": [
        {"id": "c" * 24, "district": "a" * 24, "school": "b" * 24, "name": {"first": "Solo", "last": "Teacher"}}
    ],
    "students": [
        {"id": "d" * 24, "district": "a" * 24, "school": "b" * 24, "name": {"first": "Solo", "last": "Pupil"}}
    ],
    "sections": [
        {
            "id": "e" * 24,
            "district": "a" * 24,
            "school": "b" * 24,
            "name": "Only Class",
            "subject": "math",
            "teachers": ["c" * 24],
            "students": ["d" * 24],
        }
    ],
}


def section_student_ids(sandbox, section_id):
    token = district_token(sandbox, demo.DISTRICT)
    body = api_get(sandbox, f"/v2.0/sections/{section_id}/students", token).json()
    return [item["data"]["id"] for item in body["data"]]


# --- The demo data -----------------------------------------------------------------------------


def test_demo_ids_name_what_the_demo_data_holds(clever_sandbox):
    state = clever_sandbox.state
    district_teachers = (demo.ZOE_OBRIEN, demo.JOSE_NUNEZ, demo.RUTH_OKAFOR, demo.LIAM_CHEN, demo.AMELIE_DUBOIS)

    assert state.get("districts", demo.DISTRICT)["name"] == "Demo District"
    assert {state.get("schools", s)["district"] for s in (demo.MAPLE_GROVE, demo.RIVERSIDE)} == {demo.DISTRICT}
    assert all(state.get("teachers", t)["district"] == demo.DISTRICT for t in district_teachers)
    assert state.get("teachers", demo.RUTH_OKAFOR)["email"] is None
    assert all(state.get("teachers", t)["email"] for t in district_teachers if t != demo.RUTH_OKAFOR)
    assert state.get("teachers", demo.AMELIE_DUBOIS)["schools"] == [demo.MAPLE_GROVE, demo.RIVERSIDE]
    assert state.get("sections", demo.STEM_LAB)["teachers"] == [demo.ZOE_OBRIEN, demo.JOSE_NUNEZ]
    assert len(state.get("sections", demo.WORLD_HISTORY)["students"]) > 100
    assert state.roster.sections_of("students", demo.MAYA_RODRIGUEZ) == [demo.ALGEBRA_I, demo.BIOLOGY]
    assert state.get("school_admins", demo.SCHOOL_ADMIN)["schools"] == [demo.RIVERSIDE]
    assert state.get("district_admins", demo.DISTRICT_ADMIN)["district"] == demo.DISTRICT


def test_demo_data_has_accents_apostrophes_and_varied_subjects_and_grades(clever_sandbox):
    roster = clever_sandbox.state.roster
    names = [" ".join(t["name"].values()) for t in roster.records["teachers"].values()]
    sections = roster.records["sections"].values()

    assert "Zoë  O'Brien" in names
    assert "José Luis Núñez" in names
    assert len({s["subject"] for s in sections}) >= 5
    assert len({s["grade"] for s in sections}) >= 4


def test_library_teachers_sections_and_students_have_no_district_or_school(clever_sandbox):
    state = clever_sandbox.state
    library_sections = {
        demo.PRIYA_RAMAN: [demo.READING_GROUP, demo.MATH_CLUB],
        demo.HANNAH_MULLER: [demo.SCIENCE_EXPLORERS],
    }

    for teacher_id, section_ids in library_sections.items():
        assert "district" not in state.get("teachers", teacher_id)
        assert state.roster.sections_of("teachers", teacher_id) == section_ids
        for section_id in section_ids:
            section = state.get("sections", section_id)
            assert "district" not in section
            assert "school" not in section
            assert section["students"]
            for student_id in section["students"]:
                assert "district" not in state.get("students", student_id)
                assert "school" not in state.get("students", student_id)


# --- Loading files ------------------------------------------------------------------------------


# override_settings as a block, not the `settings` fixture: the sandbox fixture's own
# reset() at teardown must see the default data again.


def test_clever_sandbox_data_names_another_roster(clever_sandbox, tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL), encoding="utf-8")

    with override_settings(CLEVER_SANDBOX_DATA=str(path)):
        clever_sandbox.state.reset()
        token = sign_in(clever_sandbox, "c" * 24)
        sections = api_get(clever_sandbox, f"/v2.0/teachers/{'c' * 24}/sections", token).json()["data"]
        index = requests.get(f"{clever_sandbox.url}/", timeout=TIMEOUT).text

    assert [item["data"]["name"] for item in sections] == ["Only Class"]
    assert str(path) in index
    assert "Small District" in index
    assert clever_sandbox.state.get("teachers", demo.ZOE_OBRIEN) is None


def test_a_file_that_is_not_json_is_refused_naming_the_file(clever_sandbox, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"districts": [', encoding="utf-8")

    with (
        override_settings(CLEVER_SANDBOX_DATA=str(path)),
        pytest.raises(RosterError, match=r"broken\.json is not valid JSON: .* line 1"),
    ):
        clever_sandbox.state.reset()

    # The sandbox keeps serving what it had.
    assert api_get(clever_sandbox, "/v2.0/me", district_token(clever_sandbox, demo.DISTRICT)).status_code == 200


def test_a_missing_file_is_refused(clever_sandbox, tmp_path):
    with (
        override_settings(CLEVER_SANDBOX_DATA=str(tmp_path / "nowhere.json")),
        pytest.raises(RosterError, match=r"nowhere\.json"),
    ):
        clever_sandbox.state.reset()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r["students"][0].update(grade="Thirteen"), "grade: 'Thirteen' is not one of"),
        (lambda r: r["students"][0].update(id="D" * 24), "is not a 24-character lowercase hex Clever id"),
        (
            lambda r: r["sections"][0].update(students=["f" * 24]),
            f"students: {'f' * 24} is not one of the roster's students",
        ),
        (lambda r: r["teachers"][0].update(school="f" * 24), f"school {'f' * 24} is not in the roster"),
        (lambda r: r["teachers"][0].pop("school"), "school is required"),
        (lambda r: r["teachers"][0].update(nickname="Solo"), "nickname: not a field of this object"),
        (lambda r: r["students"].append(dict(r["students"][0])), "is used twice"),
        (lambda r: r.update(classes=[]), "unknown key 'classes'"),
        (lambda r: r["sections"][0].update(teacher="d" * 24), "teacher must be one of teachers"),
    ],
)
def test_invalid_rosters_are_refused_naming_the_record_and_the_problem(tmp_path, change, words):
    data = json.loads(json.dumps(SMALL))
    change(data)
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(RosterError) as raised:
        load_roster_file(path)

    assert "roster.json" in str(raised.value)
    assert words in str(raised.value)


def test_a_valid_small_roster_loads_with_derived_fields():
    roster = Roster(SMALL)

    assert roster.get("sections", "e" * 24)["teacher"] == "c" * 24
    assert roster.get("teachers", "c" * 24)["schools"] == ["b" * 24]


def test_load_replaces_the_roster_and_reset_restores_the_demo(clever_sandbox):
    clever_sandbox.state.load(SMALL)
    assert clever_sandbox.state.get("teachers", demo.ZOE_OBRIEN) is None

    clever_sandbox.state.reset()

    assert clever_sandbox.state.get("teachers", demo.ZOE_OBRIEN) is not None


def test_roster_over_http(clever_sandbox):
    sent = requests.put(f"{clever_sandbox.url}/_control/roster", json=SMALL, timeout=TIMEOUT)
    served = requests.get(f"{clever_sandbox.url}/_control/roster", timeout=TIMEOUT).json()
    bad = requests.put(f"{clever_sandbox.url}/_control/roster", json={"teachers": [{"id": "x"}]}, timeout=TIMEOUT)

    assert sent.status_code == 200
    assert [t["id"] for t in served["teachers"]] == ["c" * 24]
    assert bad.status_code == 400
    assert "teachers[0]" in bad.json()["error"]
    assert clever_sandbox.state.get("teachers", "c" * 24) is not None


# --- Changing the roster in a test ---------------------------------------------------------------


def test_remove_a_student_from_a_section(clever_sandbox):
    clever_sandbox.state.remove_student_from_section(demo.MAYA_RODRIGUEZ, demo.BIOLOGY)

    assert demo.MAYA_RODRIGUEZ not in section_student_ids(clever_sandbox, demo.BIOLOGY)
    assert demo.MAYA_RODRIGUEZ in section_student_ids(clever_sandbox, demo.ALGEBRA_I)


def test_move_a_student(clever_sandbox):
    clever_sandbox.state.move_student(demo.MAYA_RODRIGUEZ, demo.BIOLOGY, demo.STEM_LAB)

    assert demo.MAYA_RODRIGUEZ not in section_student_ids(clever_sandbox, demo.BIOLOGY)
    assert demo.MAYA_RODRIGUEZ in section_student_ids(clever_sandbox, demo.STEM_LAB)


def test_add_a_section_the_teacher_then_sees(clever_sandbox):
    clever_sandbox.state.add_section(
        {
            "id": "5b2c569c7a68e009745801ff",
            "district": demo.DISTRICT,
            "school": demo.RIVERSIDE,
            "name": "Statistics - O'Brien - 6",
            "subject": "math",
            "grade": "11",
            "teachers": [demo.ZOE_OBRIEN],
            "students": [demo.MAYA_RODRIGUEZ],
        }
    )
    token = sign_in(clever_sandbox, demo.ZOE_OBRIEN)

    sections = api_get(clever_sandbox, f"/v2.0/teachers/{demo.ZOE_OBRIEN}/sections", token).json()["data"]

    assert "Statistics - O'Brien - 6" in [item["data"]["name"] for item in sections]


def test_update_a_teacher(clever_sandbox):
    before = clever_sandbox.state.get("teachers", demo.RUTH_OKAFOR)["last_modified"]
    clever_sandbox.state.update("teachers", demo.RUTH_OKAFOR, email="ruth@demodistrict.example")
    token = sign_in(clever_sandbox, demo.RUTH_OKAFOR)

    teacher = api_get(clever_sandbox, f"/v2.0/teachers/{demo.RUTH_OKAFOR}", token).json()["data"]

    assert teacher["email"] == "ruth@demodistrict.example"
    assert teacher["last_modified"] > before


def test_a_removed_student_is_no_longer_shared(clever_sandbox):
    clever_sandbox.state.remove("students", demo.MAYA_RODRIGUEZ)
    token = district_token(clever_sandbox, demo.DISTRICT)

    assert api_get(clever_sandbox, f"/v2.0/students/{demo.MAYA_RODRIGUEZ}", token).status_code == 404
    assert demo.MAYA_RODRIGUEZ not in section_student_ids(clever_sandbox, demo.ALGEBRA_I)


def test_a_bad_change_is_refused_and_changes_nothing(clever_sandbox):
    before = clever_sandbox.state.get("sections", demo.BIOLOGY)
    with pytest.raises(RosterError, match="grade"):
        clever_sandbox.state.update("sections", demo.BIOLOGY, grade="Thirteen")
    with pytest.raises(RosterError, match="another district"):
        clever_sandbox.state.add_student_to_section(demo.LIBRARY_STUDENT, demo.BIOLOGY)

    assert clever_sandbox.state.get("sections", demo.BIOLOGY) == before


def test_share_a_library_teacher_with_the_district(clever_sandbox):
    clever_sandbox.state.share_teacher_with_district(
        demo.PRIYA_RAMAN, district_id=demo.DISTRICT, school_id=demo.MAPLE_GROVE
    )
    token = sign_in(clever_sandbox, demo.PRIYA_RAMAN)

    me = api_get(clever_sandbox, "/v2.1/me", token).json()["data"]
    students = api_get(clever_sandbox, f"/v2.0/sections/{demo.READING_GROUP}/students", token).json()["data"]

    assert me["district"] == demo.DISTRICT
    assert me["authorized_by"] == "district"
    assert students[0]["data"]["district"] == demo.DISTRICT
    assert len(students[0]["data"]["name"]["last"]) > 1
