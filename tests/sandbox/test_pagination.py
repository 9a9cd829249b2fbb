"""Paging with a district-app token: every record exactly once, forwards and backwards."""

import pytest

from rosters.clever import CleverClient
from sandbox import demo
from sandbox.generate import generate_roster

from .helpers import api_get, demo_file, demo_section_students, district_token, follow

STUDENTS = 2 * 1 * 131  # generated below: more than two default pages and not a multiple of any limit used


@pytest.fixture
def big(clever_sandbox):
    """Serve a generated district with 262 students; return (sandbox, district token, student ids)."""
    roster = generate_roster(teachers=2, sections_per_teacher=1, students_per_section=131, seed=3)
    clever_sandbox.state.load(roster)
    district_id = roster["districts"][0]["id"]
    return clever_sandbox, district_token(clever_sandbox, district_id), sorted(s["id"] for s in roster["students"])


@pytest.mark.parametrize("limit", [1, 7, 100, 261, 262, 10000])
def test_following_next_visits_every_student_once_in_id_order(big, limit):
    sandbox, token, all_ids = big

    ids, pages = follow(sandbox, "/v2.0/students", token, limit=limit)

    assert ids == all_ids
    assert pages == -(-len(all_ids) // limit)


def test_default_page_size_is_100(big):
    sandbox, token, all_ids = big

    first = api_get(sandbox, "/v2.0/students", token).json()
    ids, pages = follow(sandbox, "/v2.0/students", token)

    assert len(first["data"]) == 100
    assert ids == all_ids
    assert pages == 3


def test_links_are_paths_relative_to_the_api_base(big):
    sandbox, token, all_ids = big

    body = api_get(sandbox, "/v2.0/students", token, limit=5).json()

    assert body["links"] == [
        {"rel": "self", "uri": "/v2.0/students?limit=5"},
        {"rel": "next", "uri": f"/v2.0/students?limit=5&starting_after={all_ids[4]}"},
    ]


def test_following_prev_from_the_end_visits_every_student_once(big):
    sandbox, token, all_ids = big

    ids, _pages = follow(sandbox, "/v2.0/students", token, rel="prev", limit=25, ending_before="f" * 24)

    assert ids == list(reversed(all_ids))


def test_ending_before_gives_the_page_just_before(big):
    sandbox, token, all_ids = big

    body = api_get(sandbox, "/v2.0/students", token, limit=10, ending_before=all_ids[30]).json()

    assert [item["data"]["id"] for item in body["data"]] == all_ids[20:30]
    rels = {link["rel"]: link["uri"] for link in body["links"]}
    assert rels["prev"] == f"/v2.0/students?limit=10&ending_before={all_ids[20]}"
    assert rels["next"] == f"/v2.0/students?limit=10&starting_after={all_ids[29]}"


def test_quirk_starting_after_page_has_a_prev_link_to_nothing(big):
    sandbox, token, all_ids = big

    body = api_get(sandbox, "/v2.0/students", token, limit=10, starting_after="0" * 24).json()
    prev = next(link["uri"] for link in body["links"] if link["rel"] == "prev")
    before_start = api_get(sandbox, prev, token).json()

    assert [item["data"]["id"] for item in body["data"]] == all_ids[:10]
    assert before_start["data"] == []


def test_quirk_can_be_turned_off(big):
    sandbox, token, _all_ids = big
    sandbox.state.set_options(paging_quirks=False)

    body = api_get(sandbox, "/v2.0/students", token, limit=10, starting_after="0" * 24).json()

    assert "prev" not in [link["rel"] for link in body["links"]]


def test_paging_a_sub_resource(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)
    expected = sorted(demo_section_students(demo.WORLD_HISTORY))

    ids, pages = follow(clever_sandbox, f"/v2.0/sections/{demo.WORLD_HISTORY}/students", token, limit=50)

    assert ids == expected
    assert pages == 3


def test_the_products_client_reads_a_big_section_across_pages(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)
    clever_sandbox.state.clear_calls()

    with CleverClient(token=token, paginate=True, page_size=50, api_base=clever_sandbox.url) as client:
        students = client.section_students(demo.WORLD_HISTORY)

    assert len(students) == 120  # World History - Chen - 4 in sandbox/data/demo.json
    assert {student.id for student in students} == set(demo_section_students(demo.WORLD_HISTORY))
    assert clever_sandbox.state.count_calls("/v2.0/sections/*/students") == 3


@pytest.mark.parametrize(("limit", "status"), [("10001", 413), ("0", 400), ("-5", 400), ("many", 400)])
def test_bad_limits(clever_sandbox, limit, status):
    token = district_token(clever_sandbox, demo.DISTRICT)

    response = api_get(clever_sandbox, "/v2.0/students", token, limit=limit)

    assert response.status_code == status
    assert response.json()["message"]


def test_both_cursors_at_once_is_a_bad_request(clever_sandbox):
    token = district_token(clever_sandbox, demo.DISTRICT)

    response = api_get(clever_sandbox, "/v2.0/students", token, starting_after="a" * 24, ending_before="b" * 24)

    assert response.status_code == 400


def test_district_token_lists_only_its_district(clever_sandbox):
    roster = generate_roster(teachers=1, sections_per_teacher=1, students_per_section=3, seed=9)
    merged = {kind: [*demo_file().get(kind, []), *roster.get(kind, [])] for kind in roster}
    clever_sandbox.state.load(merged)
    token = district_token(clever_sandbox, demo.DISTRICT)
    other = roster["students"][0]["id"]

    ids, _pages = follow(clever_sandbox, "/v2.0/students", token, limit=1000)
    districts = api_get(clever_sandbox, "/v2.0/districts", token).json()["data"]

    demo_students = [s["id"] for s in demo_file()["students"] if s.get("district") == demo.DISTRICT]
    assert other not in ids
    assert ids == sorted(demo_students)
    assert api_get(clever_sandbox, f"/v2.0/students/{other}", token).status_code == 404
    assert [item["data"]["id"] for item in districts] == [demo.DISTRICT]
