"""
Clever's records as frozen dataclasses, and the functions that parse Clever's JSON into them.

JSON is read here, once, at the edge: nothing else in the project digs through Clever's
nested dicts. Parsing is lenient about what the product does not need (unknown fields,
new enum values, nulls read as "") and strict about what it does (an object with an
`id`): a reply that breaks the latter raises `CleverBadResponse`, never a KeyError.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import CleverBadResponse


@dataclass(frozen=True)
class Me:
    id: str
    type: str
    district_id: str  # "" for Clever Library users
    authorized_by: str  # "" when Clever does not say (v2.0)

    @property
    def sharing(self) -> str:
        """Return "district" or "library": `authorized_by` when given, else whether a district is present."""
        if self.authorized_by:
            return "district" if self.authorized_by == "district" else "library"
        return "district" if self.district_id else "library"


@dataclass(frozen=True)
class Teacher:
    id: str
    district_id: str
    school_id: str
    school_ids: tuple[str, ...]
    first_name: str
    middle_name: str
    last_name: str
    email: str
    title: str


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    subject: str
    grade: str
    period: str
    section_number: str
    school_id: str
    district_id: str
    teacher_id: str  # the primary teacher, "" when Clever names none
    teacher_ids: tuple[str, ...]
    student_ids: tuple[str, ...]


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    middle_name: str
    last_name: str
    grade: str


@dataclass(frozen=True)
class School:
    id: str
    name: str
    district_id: str


@dataclass(frozen=True)
class District:
    id: str
    name: str


@dataclass(frozen=True)
class Event:
    """One change from Clever's Events API (`/v2.0/events`), its record parsed when the product keeps that kind.

    `record` is the record after the change (before it, for a deletion), or None for a
    kind the product does not keep (courses, terms, contacts, admins, districts).
    `changed_fields` are the top-level fields `previous_attributes` names (updates only;
    None when Clever does not say).
    """

    id: str
    record_type: str  # Clever's plural: "students", "sections", "schooladmins", ...
    action: str  # "created", "updated" or "deleted"
    record: School | Teacher | Section | Student | None
    changed_fields: frozenset[str] | None = None


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    token_type: str

    def __repr__(self):  # never print the token
        return f"TokenResponse(token_type={self.token_type!r}, access_token=<hidden>)"


@dataclass(frozen=True)
class DistrictTokenInfo:
    district_id: str
    access_token: str

    def __repr__(self):
        return f"DistrictTokenInfo(district_id={self.district_id!r}, access_token=<hidden>)"


# --- Fields -------------------------------------------------------------------------------


def text(obj: dict, key: str) -> str:
    """Return obj[key] as a string; None, absent and non-strings other than numbers read as ""."""
    value = obj.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _required_id(obj: object, what: str) -> str:
    if not isinstance(obj, dict):
        raise CleverBadResponse(f"{what} is not an object")
    value = obj.get("id")
    if not isinstance(value, str) or not value:
        raise CleverBadResponse(f"{what} has no id")
    return value


def _ids(obj: dict, key: str) -> tuple[str, ...]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise CleverBadResponse(f"{key} is not a list")
    return tuple(item for item in value if isinstance(item, str) and item)


def _name(obj: dict) -> tuple[str, str, str]:
    name = obj.get("name")
    if not isinstance(name, dict):
        return "", "", ""
    return text(name, "first"), text(name, "middle"), text(name, "last")


# --- Envelopes ----------------------------------------------------------------------------


def body_object(body: object) -> dict:
    """Return the `data` object of a single-record reply."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise CleverBadResponse("the reply has no data object")
    return body["data"]


def body_items(body: object) -> list[dict]:
    """Return the records of a list reply (each element's `data`)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise CleverBadResponse("the reply has no data list")
    items = []
    for element in body["data"]:
        # List elements are {"data": {...}, "uri": "..."}; tolerate bare objects too.
        if isinstance(element, dict) and isinstance(element.get("data"), dict):
            items.append(element["data"])
        else:
            items.append(element)
    return items


def body_link(body: dict, rel: str) -> str:
    """Return the `uri` of the reply's link with this `rel` ("next", ...), or ""."""
    links = body.get("links")
    if not isinstance(links, list):
        return ""
    for link in links:
        if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("uri"), str):
            return link["uri"]
    return ""


# --- Records ------------------------------------------------------------------------------


def parse_me(body: dict) -> Me:
    data = body.get("data")
    me_id = _required_id(data, "/me")
    return Me(
        id=me_id,
        type=text(data, "type") or text(body, "type"),
        district_id=text(data, "district"),
        authorized_by=text(data, "authorized_by"),
    )


def parse_teacher(data: dict) -> Teacher:
    teacher_id = _required_id(data, "teacher")
    first, middle, last = _name(data)
    return Teacher(
        id=teacher_id,
        district_id=text(data, "district"),
        school_id=text(data, "school"),
        school_ids=_ids(data, "schools"),
        first_name=first,
        middle_name=middle,
        last_name=last,
        email=text(data, "email"),
        title=text(data, "title"),
    )


def parse_section(data: dict) -> Section:
    section_id = _required_id(data, "section")
    return Section(
        id=section_id,
        name=text(data, "name"),
        subject=text(data, "subject"),
        grade=text(data, "grade"),
        period=text(data, "period"),
        section_number=text(data, "section_number"),
        school_id=text(data, "school"),
        district_id=text(data, "district"),
        teacher_id=text(data, "teacher"),
        teacher_ids=_ids(data, "teachers"),
        student_ids=_ids(data, "students"),
    )


def parse_student(data: dict) -> Student:
    student_id = _required_id(data, "student")
    first, middle, last = _name(data)
    return Student(id=student_id, first_name=first, middle_name=middle, last_name=last, grade=text(data, "grade"))


def parse_school(data: dict) -> School:
    return School(id=_required_id(data, "school"), name=text(data, "name"), district_id=text(data, "district"))


def parse_district(data: dict) -> District:
    return District(id=_required_id(data, "district"), name=text(data, "name"))


_EVENT_RECORDS = {
    "schools": parse_school,
    "teachers": parse_teacher,
    "sections": parse_section,
    "students": parse_student,
}


def parse_event(data: object) -> Event:
    """Read one event: `{"id", "type": "students.updated", "data": {"object": {...}, "previous_attributes": {...}}}`.

    `previous_attributes` is read beside `object`, where Clever's recorded responses put
    it, else beside `data`, where Clever's OpenAPI file draws it (clever-api.md, section 9).
    """
    event_id = _required_id(data, "event")
    record_type, _, action = text(data, "type").partition(".")
    if not record_type or not action:
        raise CleverBadResponse(f"event {event_id} has no type")
    payload = data.get("data")
    if not isinstance(payload, dict):
        raise CleverBadResponse(f"event {event_id} has no data")
    parse = _EVENT_RECORDS.get(record_type)
    record = parse(payload.get("object")) if parse else None
    previous = payload.get("previous_attributes", data.get("previous_attributes"))
    changed = frozenset(previous) if isinstance(previous, dict) else None
    return Event(id=event_id, record_type=record_type, action=action, record=record, changed_fields=changed)


def parse_token_response(body: object) -> TokenResponse:
    """Read the token endpoint's reply to a code exchange."""
    if not isinstance(body, dict) or not text(body, "access_token"):
        raise CleverBadResponse("the token reply has no access_token")
    return TokenResponse(access_token=body["access_token"], token_type=text(body, "token_type") or "bearer")


def parse_district_tokens(body: object) -> list[DistrictTokenInfo]:
    """Read `GET /oauth/tokens?owner_type=district`: the district-app tokens, skipping anything else."""
    tokens = []
    for item in body_items(body):
        owner = item.get("owner") if isinstance(item, dict) else None
        if not isinstance(owner, dict) or owner.get("type") != "district":
            continue
        access_token = text(item, "access_token")
        if access_token and text(owner, "id"):
            tokens.append(DistrictTokenInfo(district_id=text(owner, "id"), access_token=access_token))
    return tokens
