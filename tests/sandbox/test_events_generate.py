"""Generated districts whose students share sections, and random changes to a roster for the Events API."""

import json

import pytest
from django.core.management import call_command

from sandbox.generate import MUTATION_TIMESTAMP, generate_roster, roster_mutate
from sandbox.roster import Roster

from .helpers import api_get, district_token


def test_students_shared_out_among_a_schools_sections():
    roster = generate_roster(teachers=4, sections_per_teacher=5, students_per_section=30, students=40, schools=1)
    loaded = Roster(roster)

    assert loaded.count("students") == 40
    assert loaded.count("sections") == 20
    for section in roster["sections"]:
        assert len(section["students"]) == 30
        assert len(set(section["students"])) == 30
    # 600 seats over 40 students: each sits in 15 sections.
    assert {len(loaded.sections_of("students", s["id"])) for s in roster["students"]} == {15}


def test_each_school_shares_its_own_students():
    roster = generate_roster(teachers=4, sections_per_teacher=2, students_per_section=3, students=8, schools=2)
    school_of = {s["id"]: s["school"] for s in roster["students"]}

    assert sorted(school_of.values()).count(roster["schools"][0]["id"]) == 4
    for section in roster["sections"]:
        assert {school_of[i] for i in section["students"]} == {section["school"]}


def test_the_roster_command_takes_a_student_count(capsys):
    call_command(
        "sandbox_roster", "--teachers=2", "--sections-per-teacher=2", "--students-per-section=5", "--students=6"
    )

    roster = json.loads(capsys.readouterr().out)
    assert len(roster["students"]) == 6
    assert sum(len(s["students"]) for s in roster["sections"]) == 20


@pytest.fixture
def district():
    return generate_roster(teachers=20, sections_per_teacher=3, students_per_section=10, students=150, seed=2)


def test_the_same_seed_gives_the_same_changes_and_leaves_the_input_alone(district):
    before = json.dumps(district)

    first = roster_mutate(district, changes=50, seed=1)
    again = roster_mutate(district, changes=50, seed=1)
    other = roster_mutate(district, changes=50, seed=2)

    assert json.dumps(district) == before
    assert first == again
    assert first != other
    assert first != district


def test_changed_rosters_are_valid_and_stamp_what_changed(district):
    changed = roster_mutate(district, changes=100, seed=3)
    original = {r["id"]: r for kind in ("teachers", "students", "sections") for r in district[kind]}

    Roster(changed)  # raises RosterError when a change broke a rule
    for kind in ("teachers", "students", "sections"):
        for record in changed[kind]:
            if record != original.get(record["id"]):
                assert record["last_modified"] == MUTATION_TIMESTAMP, record


def test_no_changes_is_the_same_roster(district):
    assert roster_mutate(district, changes=0, seed=1) == district


def test_a_roster_without_district_sections_cannot_be_changed():
    library_only = generate_roster(teachers=0, sections_per_teacher=1, students_per_section=2, library_teachers=1)

    with pytest.raises(ValueError, match="no district sections"):
        roster_mutate(library_only, changes=1)
    with pytest.raises(ValueError, match="negative"):
        roster_mutate(library_only, changes=-1)


def test_changes_applied_to_the_sandbox_arrive_as_events_matching_the_data_api(clever_sandbox, district):
    state = clever_sandbox.state
    state.load(district)
    state.set_clock(lambda: 1725264000.0)
    token = district_token(clever_sandbox, district["districts"][0]["id"])
    before = {r["id"] for kind in ("teachers", "students", "sections") for r in district[kind]}

    recorded = state.mutate(changes=100, seed=5)
    body = api_get(clever_sandbox, "/v2.0/events", token, limit=10000).json()

    assert [item["data"]["id"] for item in body["data"]] == [event.id for event in recorded]
    assert len(recorded) > 50  # a record changed twice in one go is one event
    for item in body["data"]:
        record_type, action = item["data"]["type"].split(".")
        record = item["data"]["data"]["object"]
        assert record_type in ("teachers", "students", "sections")
        now = api_get(clever_sandbox, f"/v2.0/{record_type}/{record['id']}", token)
        if action == "deleted":
            assert record["id"] in before
            assert now.status_code == 404
        else:
            assert (record["id"] in before) == (action == "updated")
            assert now.json()["data"] == record
