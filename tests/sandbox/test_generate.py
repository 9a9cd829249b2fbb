"""The large-roster generator and its command, checked against counts and ids a person can work out."""

import json
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from sandbox.generate import generate_roster
from sandbox.state import load_roster_file

CLEVER_ID = re.compile(r"^[0-9a-f]{24}$")


def test_counts_and_one_district():
    roster = generate_roster(teachers=4, sections_per_teacher=3, students_per_section=5, seed=1, library_teachers=1)

    counts = {kind: len(roster[kind]) for kind in ("districts", "schools", "teachers", "sections", "students")}
    # 4 district teachers and 1 Library one, 3 sections each, 5 students of their own in each section.
    assert counts == {"districts": 1, "schools": 1, "teachers": 5, "sections": 15, "students": 75}
    district_id = roster["districts"][0]["id"]
    assert [t.get("district") for t in roster["teachers"]] == [district_id] * 4 + [None]
    assert sum(s.get("district") == district_id for s in roster["students"]) == 60
    assert Counter(teacher for s in roster["sections"] for teacher in s["teachers"]) == {
        t["id"]: 3 for t in roster["teachers"]
    }
    assert [len(set(s["students"])) for s in roster["sections"]] == [5] * 15
    assert len({student for s in roster["sections"] for student in s["students"]}) == 75  # nobody in two
    all_ids = [record["id"] for kind in counts for record in roster[kind]]
    assert all(CLEVER_ID.match(record_id) for record_id in all_ids)
    assert len(set(all_ids)) == len(all_ids)


def test_the_same_seed_gives_the_same_roster_and_another_seed_another():
    first = generate_roster(teachers=3, sections_per_teacher=2, students_per_section=4, seed=42)
    again = generate_roster(teachers=3, sections_per_teacher=2, students_per_section=4, seed=42)
    other = generate_roster(teachers=3, sections_per_teacher=2, students_per_section=4, seed=43)

    assert first == again
    assert first != other
    assert not {s["id"] for s in first["students"]} & {s["id"] for s in other["students"]}


def test_a_large_roster_is_served(clever_sandbox):
    from .helpers import api_get, district_token

    roster = generate_roster(teachers=40, sections_per_teacher=5, students_per_section=100, seed=5)
    clever_sandbox.state.load(roster)
    token = district_token(clever_sandbox, roster["districts"][0]["id"])
    last = "a50000050000000000004e20"  # student 40 x 5 x 100 = 20,000 = 0x4e20 of seed 5

    body = api_get(clever_sandbox, "/v2.0/students", token, limit=10000).json()
    one = api_get(clever_sandbox, f"/v2.0/students/{last}", token).json()

    assert len(body["data"]) == 10000
    assert [link["rel"] for link in body["links"]] == ["self", "next"]
    assert one["data"]["id"] == last


def test_command_writes_a_roster_the_sandbox_loads(tmp_path, capsys):
    path = tmp_path / "big.json"
    args = ["--teachers=3", "--sections-per-teacher=2", "--students-per-section=7", "--seed=11", "-o", str(path)]

    call_command("sandbox_roster", *args)

    assert capsys.readouterr().out.strip() == f"Wrote {path}: 1 schools, 3 teachers, 6 sections, 42 students."
    roster = json.loads(path.read_text())
    # Ids: the kind (a1 district ... a5 student), the seed (11 = 0x00000b), then a counter: 3 x 2 x 7 = 42 = 0x2a.
    assert roster["districts"][0]["id"] == "a100000b0000000000000001"
    assert [t["id"] for t in roster["teachers"]] == [f"a300000b000000000000000{n}" for n in (1, 2, 3)]
    assert [s["id"] for s in roster["students"]][::41] == ["a500000b0000000000000001", "a500000b000000000000002a"]
    assert [len(section["students"]) for section in roster["sections"]] == [7] * 6
    assert load_roster_file(path).count("students") == 42  # the sandbox accepts it as CLEVER_SANDBOX_DATA

    again = tmp_path / "again.json"
    call_command("sandbox_roster", *args[:-1], str(again))
    assert again.read_bytes() == path.read_bytes()  # the same seed, the same file


def test_command_writes_to_stdout(capsys):
    call_command("sandbox_roster", "--teachers=1", "--sections-per-teacher=1", "--students-per-section=2")

    roster = json.loads(capsys.readouterr().out)
    assert [len(roster[kind]) for kind in ("teachers", "sections", "students")] == [1, 1, 2]


def test_command_refuses_negative_counts():
    with pytest.raises(CommandError, match="--teachers"):
        call_command("sandbox_roster", "--teachers=-1")
