"""The large-roster generator and its command."""

import json

import pytest
from django.core.management import CommandError, call_command

from sandbox.generate import generate_roster
from sandbox.roster import Roster
from sandbox.state import load_roster_file


def test_counts_and_one_district():
    roster = generate_roster(teachers=4, sections_per_teacher=3, students_per_section=5, seed=1, library_teachers=1)
    loaded = Roster(roster)

    assert loaded.count("districts") == 1
    assert loaded.count("teachers") == 5
    assert loaded.count("sections") == 15
    assert loaded.count("students") == 75
    district_id = loaded.ids("districts")[0]
    assert len(loaded.in_district("teachers", district_id)) == 4
    assert len(loaded.in_district("students", district_id)) == 60
    library = [t for t in roster["teachers"] if "district" not in t]
    assert len(library) == 1
    assert all(len(loaded.sections_of("teachers", t["id"])) == 3 for t in roster["teachers"])


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
    last = sorted(s["id"] for s in roster["students"])[-1]

    body = api_get(clever_sandbox, "/v2.0/students", token, limit=10000).json()
    one = api_get(clever_sandbox, f"/v2.0/students/{last}", token).json()

    assert len(body["data"]) == 10000
    assert [link["rel"] for link in body["links"]] == ["self", "next"]
    assert one["data"]["id"] == last


def test_command_writes_a_roster_the_sandbox_loads(tmp_path, capsys):
    path = tmp_path / "big.json"

    call_command(
        "sandbox_roster",
        "--teachers=3",
        "--sections-per-teacher=2",
        "--students-per-section=7",
        "--seed=11",
        "-o",
        str(path),
    )

    roster = load_roster_file(path)
    assert roster.count("students") == 42
    assert str(path) in capsys.readouterr().out
    assert json.loads(path.read_text()) == generate_roster(
        teachers=3, sections_per_teacher=2, students_per_section=7, seed=11
    )


def test_command_writes_to_stdout(capsys):
    call_command("sandbox_roster", "--teachers=1", "--sections-per-teacher=1", "--students-per-section=2")

    assert len(json.loads(capsys.readouterr().out)["students"]) == 2


def test_command_refuses_negative_counts():
    with pytest.raises(CommandError, match="--teachers"):
        call_command("sandbox_roster", "--teachers=-1")
