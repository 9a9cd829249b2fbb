"""
Every event the sandbox serves conforms to Clever's Events API definition (v2.0-events.yml).

First against a hand-checked transcription (the literals below), always; then, when Clever's
published OpenAPI files sit beside the repository (``../shared/clever-spec/``, as in CI),
against the published file itself, as test_conformance.py does for v2.0.yml.
"""

import re

import pytest

from sandbox import demo, schema

from .conformance import VERSIONS, stretch_roster
from .helpers import api_get, district_token, follow
from .test_conformance import load_definitions, spec_files, spec_problems

# Transcribed by hand from v2.0-events.yml: `Event` declares created, id and type, and requires
# only type; there is one definition per "<record type>.<action>", thirty in all.
EVENT_PROPERTIES = {"created", "id", "type"}
EVENT_REQUIRED = ["type"]
EVENT_TYPES = {
    "contacts.created", "contacts.deleted", "contacts.updated",
    "courses.created", "courses.deleted", "courses.updated",
    "districtadmins.created", "districtadmins.deleted", "districtadmins.updated",
    "districts.created", "districts.deleted", "districts.updated",
    "schooladmins.created", "schooladmins.deleted", "schooladmins.updated",
    "schools.created", "schools.deleted", "schools.updated",
    "sections.created", "sections.deleted", "sections.updated",
    "students.created", "students.deleted", "students.updated",
    "teachers.created", "teachers.deleted", "teachers.updated",
    "terms.created", "terms.deleted", "terms.updated",
}  # fmt: skip
# The record definition each record type's data.object follows (through "<Name>Object").
OBJECT_DEFINITIONS = {
    "contacts": "Contact",
    "courses": "Course",
    "districtadmins": "DistrictAdmin",
    "districts": "District",
    "schooladmins": "SchoolAdmin",
    "schools": "School",
    "sections": "Section",
    "students": "Student",
    "teachers": "Teacher",
    "terms": "Term",
}
# What the sandbox serves: no contacts, courses or terms, and a district's own feed begins
# after it appeared and ends when it leaves, so it never sees districts.created or .deleted.
SERVED_TYPES = {"districts.updated"} | {
    f"{records}.{action}"
    for records in ("schools", "teachers", "students", "sections", "schooladmins", "districtadmins")
    for action in ("created", "updated", "deleted")
}
KIND_OF_RECORD_TYPE = {
    "districts": "districts",
    "schools": "schools",
    "teachers": "teachers",
    "students": "students",
    "sections": "sections",
    "schooladmins": "school_admins",
    "districtadmins": "district_admins",
}
ID = re.compile(r"^[0-9a-f]{24}$")
NEW_SCHOOL = "58da8c6ad3ef4f025409a1f1"
NEW_TEACHER = "58da8c63d7dc0ca0680004f1"
NEW_STUDENT = "5b2c569c7a68e0097457fff1"
NEW_SECTION = "5b2c569c7a68e009745801f1"
NEW_SCHOOL_ADMIN = "5c1a7e3b9f4e2d0001a3c0f1"
NEW_DISTRICT_ADMIN = "5c1a7e3b9f4e2d0001a3d0f1"


def change_everything(state) -> None:
    """Create, update and delete a record of every kind in the demo district."""
    where = {"district": demo.DISTRICT, "school": demo.MAPLE_GROVE}
    state.update("districts", demo.DISTRICT, name="Demo District (renamed)")
    state.add("schools", {"id": NEW_SCHOOL, "district": demo.DISTRICT, "name": "Lakeside", "sis_id": "301"})
    state.update("schools", demo.MAPLE_GROVE, phone="(541) 555-0199")
    state.add("teachers", {"id": NEW_TEACHER, **where, "name": {"first": "Ines", "middle": "", "last": "Ortega"}})
    state.update("teachers", demo.RUTH_OKAFOR, title="Grade 3 Lead")
    state.add("students", {"id": NEW_STUDENT, **where, "name": {"first": "Tariq", "middle": "", "last": "Ahmed"}})
    state.update("students", demo.MAYA_RODRIGUEZ, grade="10")
    state.add_section(
        {"id": NEW_SECTION, **where, "name": "Robotics", "subject": "technology and engineering",
         "teachers": [NEW_TEACHER], "students": [NEW_STUDENT]}
    )  # fmt: skip
    state.update("sections", demo.READING, period="4")
    state.add(
        "school_admins",
        {"id": NEW_SCHOOL_ADMIN, "district": demo.DISTRICT, "schools": [demo.MAPLE_GROVE],
         "name": {"first": "Lena", "last": "Park"}, "staff_id": "STAFF-301"},
    )  # fmt: skip
    state.update("school_admins", demo.SCHOOL_ADMIN, title="Head Principal")
    state.add(
        "district_admins",
        {"id": NEW_DISTRICT_ADMIN, "district": demo.DISTRICT, "name": {"first": "Omar", "last": "Haddad"}},
    )
    state.update("district_admins", demo.DISTRICT_ADMIN, title="Deputy Superintendent")
    for kind, record_id in (
        ("sections", NEW_SECTION),
        ("students", NEW_STUDENT),
        ("teachers", NEW_TEACHER),
        ("school_admins", NEW_SCHOOL_ADMIN),
        ("district_admins", NEW_DISTRICT_ADMIN),
        ("schools", NEW_SCHOOL),
    ):
        state.remove(kind, record_id)


@pytest.fixture(params=[False, True], ids=["demo", "stretched"])
def changed(request, clever_sandbox):
    """The demo district after a change of every kind (and, stretched, after v2.1-only values)."""
    if request.param:
        stretch_roster(clever_sandbox)
    change_everything(clever_sandbox.state)
    return clever_sandbox


def served_events(sandbox, version: str) -> list[dict]:
    """Return every list item of the demo district's feed (one page, checked against paging by 7)."""
    token = district_token(sandbox, demo.DISTRICT)
    response = api_get(sandbox, f"/{version}/events", token, limit=10000)
    assert response.status_code == 200, response.text
    items = response.json()["data"]
    ids, _pages = follow(sandbox, f"/{version}/events", token, limit=7)
    assert ids == [item["data"]["id"] for item in items]
    return items


# --- Against the transcription ----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_served_event_conforms_to_the_transcribed_definition(changed, version):
    items = served_events(changed, version)

    assert {item["data"]["type"] for item in items} == SERVED_TYPES
    ids = [item["data"]["id"] for item in items]
    assert ids == sorted(ids)
    for item in items:
        event = item["data"]
        assert set(EVENT_REQUIRED) <= set(event)
        assert set(event) == EVENT_PROPERTIES | {"data"}, event
        assert event["type"] in EVENT_TYPES
        assert ID.match(event["id"])
        assert item["uri"] == f"/{version}/events/{event['id']}"
        assert schema.DATETIME_RE.match(event["created"])
        record_type, action = event["type"].split(".")
        definition = schema.KIND_DEFINITIONS[KIND_OF_RECORD_TYPE[record_type]]
        assert schema.validate(event["data"]["object"], definition, version=version) == [], event
        if action == "updated":
            assert set(event["data"]) == {"object", "previous_attributes"}
            fields = schema.DEFINITIONS[version][definition]
            assert set(event["data"]["previous_attributes"]) <= set(fields), event
        else:
            assert set(event["data"]) == {"object"}


# --- Against Clever's published file ----------------------------------------------------------


@spec_files
def test_the_transcription_matches_the_published_events_definition():
    definitions = load_definitions("v2.0-events.yml")

    assert {name for name in definitions if "." in name} == EVENT_TYPES
    assert set(definitions["Event"]["properties"]) == EVENT_PROPERTIES
    assert definitions["Event"]["required"] == EVENT_REQUIRED
    for name in EVENT_TYPES:
        record_type, action = name.split(".")
        base, extension = definitions[name]["allOf"]
        assert base == {"$ref": "#/definitions/Event"}
        properties = extension["properties"]
        assert properties["data"] == {"$ref": f"#/definitions/{OBJECT_DEFINITIONS[record_type]}Object"}
        assert ("previous_attributes" in properties) == (action == "updated"), name


@spec_files
@pytest.mark.parametrize("placement", ["data", "event"])
def test_every_served_event_conforms_to_the_published_events_definition(changed, placement):
    definitions = load_definitions("v2.0-events.yml")
    changed.state.set_options(events_previous_attributes=placement)
    token = district_token(changed, demo.DISTRICT)
    page = api_get(changed, "/v2.0/events", token, limit=10000).json()

    # List items carry `uri` (seen in Clever's recordings; the file declares only `data`).
    assert all(set(item) == {"data", "uri"} for item in page["data"])
    assert set(page) == {"data", "links"}
    for link in page["links"]:
        assert spec_problems(link, definitions["Link"], definitions, "link") == []
    for item in page["data"]:
        event = dict(item["data"])
        if placement == "data" and "previous_attributes" in event["data"]:
            # Clever's recorded responses put it beside `object`; the file draws it beside `data`.
            event["data"] = dict(event["data"])
            event["previous_attributes"] = event["data"].pop("previous_attributes")
        _base, extension = definitions[event["type"]]["allOf"]
        full = {"type": "object", "properties": {**definitions["Event"]["properties"], **extension["properties"]}}
        assert spec_problems(event, full, definitions, event["type"]) == [], event
