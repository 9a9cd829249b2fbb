"""
The sandbox's Events API over HTTP: what a change to the roster records, and how /v2.0/events serves it.

Every expectation is written out from the hand-written roster below. The sandbox's clock is
fixed at 2024-09-02T08:00:00Z (Unix 1725264000 = 0x66d57080), so event ids are
"66d57080" + a 16-hex counter and `created` is "2024-09-02T08:00:00.000Z".
"""

import copy
import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests

from sandbox.control import ROSTER_MAX_BYTES
from sandbox.generate import generate_roster

from .helpers import TIMEOUT, api_get, district_token, sign_in

NOW = 1725264000.0  # 2024-09-02T08:00:00Z
CREATED = "2024-09-02T08:00:00.000Z"
BEFORE = "2024-08-01T12:00:00.000Z"
DAY = 86400

D1 = "4fd43cc56d113400000000d1"
D2 = "4fd43cc56d113400000000d2"
NORTH = "58da8c6ad3ef4f02540900a1"  # D1's schools
SOUTH = "58da8c6ad3ef4f02540900a2"
WEST = "58da8c6ad3ef4f02540900a3"  # D2's school
HOPPER = "58da8c63d7dc0ca0680000b1"  # teaches ALGEBRA at North
NOETHER = "58da8c63d7dc0ca0680000b2"  # teaches CHEMISTRY at South
CURIE = "58da8c63d7dc0ca0680000b3"  # D2, teaches PHYSICS
ADA = "5b2c569c7a68e0097457f0c1"  # Ada Lovelace, North, in ALGEBRA
ALAN = "5b2c569c7a68e0097457f0c2"  # Alan Turing, North, in ALGEBRA
ROSALIND = "5b2c569c7a68e0097457f0c3"  # Rosalind Franklin, South, in CHEMISTRY
MARIE = "5b2c569c7a68e0097457f0c4"  # D2, in PHYSICS
KATHERINE = "5b2c569c7a68e0097457f0c5"  # not in the roster at first
ALGEBRA = "5b2c569c7a68e009745801d1"
CHEMISTRY = "5b2c569c7a68e009745801d2"
PHYSICS = "5b2c569c7a68e009745801d3"
GEOMETRY = "5b2c569c7a68e009745801d4"  # not in the roster at first


def event_id(n: int) -> str:
    return f"66d57080{n:016x}"


def person(record_id, district, school, first, last, **fields):
    return {
        "id": record_id,
        "district": district,
        "school": school,
        "schools": [school],
        "name": {"first": first, "middle": "", "last": last},
        **fields,
        "created": BEFORE,
        "last_modified": BEFORE,
    }


def student(record_id, district, school, first, last, sis_id):
    return person(record_id, district, school, first, last, grade="9", sis_id=sis_id)


def teacher(record_id, district, school, first, last):
    email = f"{last.lower()}@example.org"
    return person(record_id, district, school, first, last, email=email, sis_id=f"T-{last}", title="Teacher")


def section(record_id, district, school, name, teacher_id, students):
    return {
        "id": record_id,
        "district": district,
        "school": school,
        "name": name,
        "subject": "math",
        "grade": "9",
        "period": "1",
        "sis_id": f"SEC-{name}",
        "teacher": teacher_id,
        "teachers": [teacher_id],
        "students": students,
        "created": BEFORE,
        "last_modified": BEFORE,
    }


def school(record_id, district, name):
    return {"id": record_id, "district": district, "name": name, "created": BEFORE, "last_modified": BEFORE}


def tiny_roster() -> dict:
    return {
        "districts": [{"id": D1, "name": "District One"}, {"id": D2, "name": "District Two"}],
        "schools": [school(NORTH, D1, "North"), school(SOUTH, D1, "South"), school(WEST, D2, "West")],
        "teachers": [
            teacher(HOPPER, D1, NORTH, "Grace", "Hopper"),
            teacher(NOETHER, D1, SOUTH, "Emmy", "Noether"),
            teacher(CURIE, D2, WEST, "Pierre", "Curie"),
        ],
        "students": [
            student(ADA, D1, NORTH, "Ada", "Lovelace", "1001"),
            student(ALAN, D1, NORTH, "Alan", "Turing", "1002"),
            student(ROSALIND, D1, SOUTH, "Rosalind", "Franklin", "1003"),
            student(MARIE, D2, WEST, "Marie", "Sklodowska", "2001"),
        ],
        "sections": [
            section(ALGEBRA, D1, NORTH, "Algebra", HOPPER, [ADA, ALAN]),
            section(CHEMISTRY, D1, SOUTH, "Chemistry", NOETHER, [ROSALIND]),
            section(PHYSICS, D2, WEST, "Physics", CURIE, [MARIE]),
        ],
    }


def rename_ada(roster: dict) -> dict:
    changed = copy.deepcopy(roster)
    ada = record_in(changed, "students", ADA)
    ada["name"]["first"] = "Ida"
    ada["last_modified"] = CREATED
    return changed


def five_changes(roster: dict) -> dict:
    """Katherine joins North in a new section Geometry; Alan leaves; Hopper's title changes."""
    changed = copy.deepcopy(roster)
    changed["students"] = [s for s in changed["students"] if s["id"] != ALAN]
    changed["students"].append(student(KATHERINE, D1, NORTH, "Katherine", "Johnson", "1005"))
    record_in(changed, "sections", ALGEBRA)["students"] = [ADA]
    changed["sections"].append(section(GEOMETRY, D1, NORTH, "Geometry", HOPPER, [KATHERINE]))
    record_in(changed, "teachers", HOPPER)["title"] = "Head of Mathematics"
    return changed


@pytest.fixture
def tiny(clever_sandbox):
    """Serve the hand-written roster (two new districts: no events yet) with the clock at NOW."""
    clever_sandbox.state.load(tiny_roster())
    clever_sandbox.state.set_clock(lambda: NOW)
    return clever_sandbox


@pytest.fixture
def d1(tiny):
    return district_token(tiny, D1)


def record_in(roster: dict, kind: str, record_id: str) -> dict:
    return next(r for r in roster[kind] if r["id"] == record_id)


def put_roster(sandbox, roster: dict) -> requests.Response:
    return requests.put(f"{sandbox.url}/_control/roster", json=roster, timeout=TIMEOUT)


def events(sandbox, token: str, **params) -> requests.Response:
    return api_get(sandbox, "/v2.0/events", token, **params)


def summary(body: dict) -> list[tuple[str, str, str]]:
    """Return (event id, type, record id) of each event of a page."""
    return [(item["data"]["id"], item["data"]["type"], item["data"]["data"]["object"]["id"]) for item in body["data"]]


FIVE = [
    (event_id(1), "students.created", KATHERINE),
    (event_id(2), "sections.created", GEOMETRY),
    (event_id(3), "teachers.updated", HOPPER),
    (event_id(4), "sections.updated", ALGEBRA),
    (event_id(5), "students.deleted", ALAN),
]


# --- What a change records ----------------------------------------------------------------------


def test_renaming_a_student_records_exactly_one_students_updated_event(tiny, d1):
    put = put_roster(tiny, rename_ada(tiny_roster()))

    body = events(tiny, d1).json()

    assert put.json()["events"] == 1
    assert body == {
        "data": [
            {
                "data": {
                    "id": "66d570800000000000000001",
                    "type": "students.updated",
                    "created": "2024-09-02T08:00:00.000Z",
                    "data": {
                        "object": {
                            "id": ADA,
                            "district": D1,
                            "school": NORTH,
                            "schools": [NORTH],
                            "name": {"first": "Ida", "middle": "", "last": "Lovelace"},
                            "grade": "9",
                            "sis_id": "1001",
                            "created": "2024-08-01T12:00:00.000Z",
                            "last_modified": "2024-09-02T08:00:00.000Z",
                        },
                        "previous_attributes": {"name": {"first": "Ada"}},
                    },
                },
                "uri": "/v2.0/events/66d570800000000000000001",
            }
        ],
        "links": [{"rel": "self", "uri": "/v2.0/events"}],
    }


def test_one_change_of_several_kinds_comes_creations_first_then_updates_then_deletions(tiny, d1):
    put_roster(tiny, five_changes(tiny_roster()))

    body = events(tiny, d1).json()

    assert summary(body) == FIVE
    by_type = {item["data"]["type"]: item["data"] for item in body["data"]}
    assert by_type["sections.updated"]["data"]["previous_attributes"] == {"students": [ADA, ALAN]}
    assert by_type["sections.updated"]["data"]["object"]["students"] == [ADA]
    assert by_type["teachers.updated"]["data"]["previous_attributes"] == {"title": "Teacher"}
    assert by_type["students.deleted"]["data"]["object"]["name"] == {"first": "Alan", "middle": "", "last": "Turing"}
    assert "previous_attributes" not in by_type["students.deleted"]["data"]
    assert "previous_attributes" not in by_type["sections.created"]["data"]
    assert {item["data"]["created"] for item in body["data"]} == {"2024-09-02T08:00:00.000Z"}


def test_a_change_that_changes_nothing_records_no_event(tiny, d1):
    same = put_roster(tiny, tiny_roster())
    touched = tiny_roster()
    record_in(touched, "students", ADA)["last_modified"] = CREATED  # a new timestamp alone is no change
    only_timestamp = put_roster(tiny, touched)
    tiny.state.update("students", ADA, grade="9")

    assert same.json()["events"] == 0
    assert only_timestamp.json()["events"] == 0
    assert events(tiny, d1).json()["data"] == []


def test_changes_through_the_python_api_are_recorded_with_the_sandbox_clock(tiny, d1):
    tiny.state.remove_student_from_section(ADA, ALGEBRA)
    tiny.state.remove("students", ALAN)

    body = events(tiny, d1).json()

    assert summary(body) == [
        (event_id(1), "sections.updated", ALGEBRA),
        (event_id(2), "sections.updated", ALGEBRA),
        (event_id(3), "students.deleted", ALAN),
    ]
    first, second = body["data"][0]["data"]["data"], body["data"][1]["data"]["data"]
    assert first["previous_attributes"] == {"students": [ADA, ALAN]}
    assert first["object"]["students"] == [ALAN]
    assert first["object"]["last_modified"] == "2024-09-02T08:00:00.000Z"
    assert second["previous_attributes"] == {"students": [ALAN]}
    assert second["object"]["students"] == []


def test_a_library_teacher_shared_with_the_district_arrives_as_created_events(clever_sandbox):
    from sandbox import demo

    clever_sandbox.state.set_clock(lambda: NOW)
    token = district_token(clever_sandbox, demo.DISTRICT)

    clever_sandbox.state.share_teacher_with_district(
        demo.HANNAH_MULLER, district_id=demo.DISTRICT, school_id=demo.MAPLE_GROVE
    )
    body = events(clever_sandbox, token, limit=100).json()

    types = [item["data"]["type"] for item in body["data"]]
    assert types == ["teachers.created"] + ["students.created"] * 7 + ["sections.created"]
    assert body["data"][0]["data"]["data"]["object"]["id"] == demo.HANNAH_MULLER
    assert body["data"][-1]["data"]["data"]["object"]["id"] == demo.SCIENCE_EXPLORERS


def test_a_new_district_starts_with_an_empty_feed_and_a_removed_one_loses_its_feed(tiny, d1):
    put_roster(tiny, rename_ada(tiny_roster()))
    without_d2 = rename_ada(tiny_roster())
    for kind in ("schools", "teachers", "students", "sections"):
        without_d2[kind] = [r for r in without_d2[kind] if r["district"] != D2]
    without_d2["districts"] = without_d2["districts"][:1]
    put_roster(tiny, without_d2)

    back = put_roster(tiny, rename_ada(tiny_roster()))

    assert back.json()["events"] == 0  # D2 came back: it shares what it has, no events
    assert summary(events(tiny, d1).json()) == [(event_id(1), "students.updated", ADA)]
    assert events(tiny, district_token(tiny, D2)).json()["data"] == []


# --- Reading the feed ---------------------------------------------------------------------------


def test_paging_with_limit_2_follows_next_links_through_every_event(tiny, d1):
    put_roster(tiny, five_changes(tiny_roster()))

    first = events(tiny, d1, limit=2).json()
    second = api_get(tiny, first["links"][1]["uri"], d1).json()
    third = api_get(tiny, second["links"][1]["uri"], d1).json()

    assert summary(first) == FIVE[:2]
    assert first["links"] == [
        {"rel": "self", "uri": "/v2.0/events?limit=2"},
        {"rel": "next", "uri": "/v2.0/events?limit=2&starting_after=66d570800000000000000002"},
    ]
    assert summary(second) == FIVE[2:4]
    assert second["links"] == [
        {"rel": "self", "uri": "/v2.0/events?limit=2&starting_after=66d570800000000000000002"},
        {"rel": "next", "uri": "/v2.0/events?limit=2&starting_after=66d570800000000000000004"},
        {"rel": "prev", "uri": "/v2.0/events?limit=2&ending_before=66d570800000000000000003"},
    ]
    assert summary(third) == FIVE[4:]
    assert [link["rel"] for link in third["links"]] == ["self", "prev"]


def test_starting_after_gives_the_events_after_it_and_then_an_empty_page(tiny, d1):
    put_roster(tiny, five_changes(tiny_roster()))

    after_third = events(tiny, d1, starting_after=event_id(3)).json()
    after_last = events(tiny, d1, starting_after=event_id(5)).json()
    before_fifth = events(tiny, d1, ending_before=event_id(5), limit=2).json()

    assert summary(after_third) == FIVE[3:]
    assert after_last["data"] == []
    assert summary(before_fifth) == FIVE[2:4]


def test_record_type_repeated_narrows_the_feed(tiny, d1):
    put_roster(tiny, five_changes(tiny_roster()))

    sections_and_teachers = events(tiny, d1, record_type=["sections", "teachers"]).json()
    contacts = events(tiny, d1, record_type="contacts").json()
    wrong = events(tiny, d1, record_type="student")

    assert summary(sections_and_teachers) == [FIVE[1], FIVE[2], FIVE[3]]
    assert sections_and_teachers["links"][0] == {
        "rel": "self",
        "uri": "/v2.0/events?record_type=sections&record_type=teachers",
    }
    assert contacts["data"] == []
    assert wrong.status_code == 400
    assert wrong.json()["message"].startswith("record_type 'student' is not one of districts, schools,")


def test_school_narrows_the_feed_to_that_schools_records(tiny, d1):
    changed = five_changes(tiny_roster())
    record_in(changed, "students", ROSALIND)["grade"] = "10"  # at South
    put_roster(tiny, changed)

    south = events(tiny, d1, school=SOUTH).json()
    north = events(tiny, d1, school=NORTH).json()

    assert summary(south) == [(event_id(4), "students.updated", ROSALIND)]
    assert [row[2] for row in summary(north)] == [KATHERINE, GEOMETRY, HOPPER, ALGEBRA, ALAN]


def test_one_event_by_id(tiny, d1):
    put_roster(tiny, five_changes(tiny_roster()))

    found = api_get(tiny, f"/v2.0/events/{event_id(3)}", d1)
    missing = api_get(tiny, "/v2.0/events/66d570800000000000000099", d1)

    assert found.status_code == 200
    assert found.json()["links"] == [{"rel": "self", "uri": "/v2.0/events/66d570800000000000000003"}]
    assert found.json()["data"]["type"] == "teachers.updated"
    assert found.json()["data"]["data"]["previous_attributes"] == {"title": "Teacher"}
    assert found.json()["data"]["data"]["object"]["title"] == "Head of Mathematics"
    assert missing.status_code == 404


def test_v21_events_carry_v21_records(tiny):
    put_roster(tiny, rename_ada(tiny_roster()))

    body = api_get(tiny, "/v2.1/events", district_token(tiny, D1)).json()

    assert body["data"][0]["uri"] == "/v2.1/events/66d570800000000000000001"
    student_record = body["data"][0]["data"]["data"]["object"]
    assert student_record["ext"] == {}
    assert student_record["enrollments"] == [{"school": NORTH, "start_date": "2024-08-01T12:00:00.000Z"}]


def test_previous_attributes_beside_data_as_the_openapi_file_draws_it(tiny, d1):
    put_roster(tiny, rename_ada(tiny_roster()))
    tiny.state.set_options(events_previous_attributes="event")

    event = events(tiny, d1).json()["data"][0]["data"]

    assert event["previous_attributes"] == {"name": {"first": "Ada"}}
    assert set(event["data"]) == {"object"}


# --- Who may read what --------------------------------------------------------------------------


def test_a_district_reads_only_its_own_events(tiny, d1):
    changed = rename_ada(tiny_roster())
    record_in(changed, "students", MARIE)["grade"] = "10"  # in D2
    put_roster(tiny, changed)
    d2 = district_token(tiny, D2)

    assert summary(events(tiny, d1).json()) == [(event_id(1), "students.updated", ADA)]
    assert summary(events(tiny, d2).json()) == [(event_id(2), "students.updated", MARIE)]
    assert api_get(tiny, f"/v2.0/events/{event_id(1)}", d2).status_code == 404
    assert events(tiny, d2, starting_after=event_id(1)).status_code == 404


def test_a_user_token_is_refused_as_outside_its_scope(tiny):
    put_roster(tiny, rename_ada(tiny_roster()))
    user = sign_in(tiny, HOPPER)

    refused = events(tiny, user)
    one = api_get(tiny, f"/v2.0/events/{event_id(1)}", user)
    tiny.state.set_options(scope_error_status=403)
    forbidden = events(tiny, user, limit=5)

    assert refused.status_code == 404
    assert refused.json() == {"error": "not_found", "message": "Resource not in token's scopes"}
    assert one.status_code == 404
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "Resource not in token's scopes", "message": "Resource not in token's scopes"}


# --- Forgetting, and events off -----------------------------------------------------------------


def test_a_forgotten_cursor_gets_the_configured_answer(tiny, d1):
    put_roster(tiny, five_changes(tiny_roster()))
    forgot = requests.post(f"{tiny.url}/_control/events/forget", json={"through": event_id(2)}, timeout=TIMEOUT)

    gone = events(tiny, d1, starting_after=event_id(2))
    everything = events(tiny, d1).json()
    tiny.state.set_options(events_unknown_cursor="400")
    bad_request = events(tiny, d1, starting_after=event_id(2))
    tiny.state.set_options(events_unknown_cursor="empty")
    empty = events(tiny, d1, starting_after=event_id(2)).json()
    tiny.state.set_options(events_unknown_cursor="first")
    first = events(tiny, d1, starting_after=event_id(2)).json()

    assert forgot.json() == {"forgotten": 2}
    assert gone.status_code == 404
    assert gone.json()["message"] == (
        "starting_after: this district's feed has no event 66d570800000000000000002 "
        "(events are kept for a limited time)"
    )
    assert summary(everything) == FIVE[2:]
    assert api_get(tiny, f"/v2.0/events/{event_id(1)}", d1).status_code == 404
    assert bad_request.status_code == 400
    assert empty == {
        "data": [],
        "links": [{"rel": "self", "uri": "/v2.0/events?starting_after=66d570800000000000000002"}],
    }
    assert summary(first) == FIVE[2:]


def test_events_older_than_the_window_are_forgotten(tiny, d1):
    put_roster(tiny, rename_ada(tiny_roster()))

    tiny.state.set_clock(lambda: NOW + 29 * DAY)
    after_29_days = events(tiny, d1).json()
    tiny.state.set_clock(lambda: NOW + 31 * DAY)
    after_31_days = events(tiny, d1, starting_after=event_id(1))

    assert summary(after_29_days) == [(event_id(1), "students.updated", ADA)]
    assert after_31_days.status_code == 404
    assert events(tiny, d1).json()["data"] == []


def test_forgetting_by_time_over_http(tiny, d1):
    put_roster(tiny, rename_ada(tiny_roster()))
    tiny.state.set_clock(lambda: NOW + DAY)
    put_roster(tiny, five_changes(rename_ada(tiny_roster())))

    forgot = requests.post(
        f"{tiny.url}/_control/events/forget", json={"older_than": "2024-09-03T00:00:00Z"}, timeout=TIMEOUT
    )
    feeds = requests.get(f"{tiny.url}/_control/events", timeout=TIMEOUT).json()

    assert forgot.json() == {"forgotten": 1}
    assert feeds == {
        "events": {
            D1: {
                "events": 5,
                "first": "66d6c2000000000000000002",
                "last": "66d6c2000000000000000006",
                "forgotten_through": "66d570800000000000000001",
            }
        }
    }


def test_events_off_for_the_app_answers_an_empty_feed_and_records_nothing(tiny, d1):
    tiny.state.set_options(events_enabled=False)
    put_roster(tiny, rename_ada(tiny_roster()))

    off = events(tiny, d1, limit=5).json()
    tiny.state.set_options(events_enabled=True)
    back_on = events(tiny, d1).json()

    assert off == {"data": [], "links": [{"rel": "self", "uri": "/v2.0/events?limit=5"}]}
    assert back_on["data"] == []  # what changed while events were off was never recorded


def test_events_off_can_answer_an_error_instead(tiny, d1):
    tiny.state.set_options(events_enabled=False, events_disabled_answer="403")

    answer = events(tiny, d1)

    assert answer.status_code == 403
    assert answer.json()["message"] == "Events are not enabled for this application"


def test_events_off_for_one_district_only(tiny, d1):
    tiny.state.set_options(events_disabled_districts=[D2])
    changed = rename_ada(tiny_roster())
    record_in(changed, "students", MARIE)["grade"] = "10"  # in D2
    put_roster(tiny, changed)

    assert summary(events(tiny, d1).json()) == [(event_id(1), "students.updated", ADA)]
    assert events(tiny, district_token(tiny, D2)).json()["data"] == []


# --- Loading rosters ----------------------------------------------------------------------------


def test_a_20_mb_roster_is_accepted_by_put(clever_sandbox):
    roster = generate_roster(teachers=1300, sections_per_teacher=5, students_per_section=30, students=40000, seed=9)
    body = json.dumps(roster).encode()
    assert len(body) > 20_000_000

    response = requests.put(
        f"{clever_sandbox.url}/_control/roster",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )

    assert response.status_code == 200, response.text[:500]
    assert response.json()["loaded"]["students"] == 40000
    assert response.json()["loaded"]["sections"] == 6500


def test_a_roster_above_the_limit_is_refused_before_it_is_read(tiny):
    url = urlsplit(tiny.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    connection.putrequest("PUT", f"{url.path}/_control/roster")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(ROSTER_MAX_BYTES + 1))  # a body it never has to read
    connection.endheaders()
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    assert response.status == 413
    assert body == {"error": "the body is 268435457 bytes; at most 268435456 are accepted"}
    assert tiny.state.get("students", ADA)["name"]["first"] == "Ada"


def test_reloading_a_changed_roster_file_records_the_differences(clever_sandbox, tmp_path):
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(tiny_roster()))
    clever_sandbox.state.configure(data_path=path)
    try:
        clever_sandbox.state.reset()
        clever_sandbox.state.set_clock(lambda: NOW)
        path.write_text(json.dumps(rename_ada(tiny_roster())))

        reloaded = requests.post(f"{clever_sandbox.url}/_control/reload", timeout=TIMEOUT)

        assert reloaded.json() == {"events": 1}
        token = district_token(clever_sandbox, D1)
        assert summary(events(clever_sandbox, token).json()) == [(event_id(1), "students.updated", ADA)]
    finally:
        clever_sandbox.state.configure(data_path=None)
        clever_sandbox.state.reset()


def test_random_changes_over_http_are_recorded(tiny, d1):
    answer = requests.post(f"{tiny.url}/_control/mutate", json={"changes": 3, "seed": 4}, timeout=TIMEOUT)
    bad = requests.post(f"{tiny.url}/_control/mutate", json={"changes": -1}, timeout=TIMEOUT)

    recorded = answer.json()["events"]
    assert recorded >= 1
    assert len(events(tiny, d1).json()["data"]) + len(events(tiny, district_token(tiny, D2)).json()["data"]) == (
        recorded
    )
    assert bad.status_code == 400
