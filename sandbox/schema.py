"""
Clever's published record definitions (API v2.0 and v2.1), transcribed, and a validator.

Transcribed from Clever's OpenAPI files (`v2.0.yml`, `v2.1.yml`, `v2.0-identity.yml` in
Clever/swagger-api): field names, types, nullability (`x-nullable`), enums and formats.
Only the objects the sandbox serves are here. The sandbox validates every roster it loads
against v2.1 (a superset of v2.0), and the conformance tests validate what it serves.

Validation is strict about names: a field the definition does not declare is an error,
so a typo in a roster or a serializer cannot slip through. Absent fields are fine:
Clever's definitions declare no required fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

V20 = "v2.0"
V21 = "v2.1"
VERSIONS = (V20, V21)

_NUMBERED = tuple(str(n) for n in range(1, 13))
GRADES_V20 = ("PreKindergarten", "Kindergarten", *_NUMBERED, "PostGraduate", "Other")
GRADES_V21 = (
    "InfantToddler",
    "Preschool",
    "PreKindergarten",
    "TransitionalKindergarten",
    "Kindergarten",
    *_NUMBERED,
    "13",
    "PostGraduate",
    "Ungraded",
    "Other",
    "",
)
SUBJECTS_V20 = (
    "english/language arts",
    "math",
    "science",
    "social studies",
    "language",
    "homeroom/advisory",
    "interventions/online learning",
    "technology and engineering",
    "PE and health",
    "arts and music",
    "other",
)
SUBJECTS_V21 = (*SUBJECTS_V20, "")
GENDERS_V20 = ("M", "F", "")
GENDERS_V21 = ("M", "F", "X", "")
YES_NO = ("Y", "N", "")
RACES = (
    "Caucasian",
    "Asian",
    "Black or African American",
    "American Indian",
    "Hawaiian or Other Pacific Islander",
    "Two or More Races",
    "Unknown",
    "",
)
DISTRICT_STATES_V20 = ("running", "pending", "error", "paused", "success")
DISTRICT_STATES_V21 = (*DISTRICT_STATES_V20, "")
LINK_RELS = ("next", "prev", "self")

DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})$")
DOB_RE = re.compile(r"(?:[0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


@dataclass(frozen=True)
class Field:
    """One property: `type` is string, array or object, or the name of another definition."""

    type: str = "string"
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    items: str | None = None  # for arrays: "string" or a definition name
    format: str | None = None  # "datetime"
    pattern: re.Pattern | None = None


_S = Field()
_NS = Field(nullable=True)
_ID = Field()  # x-validation: a Clever id; the spec types it as a plain string
_IDS = Field("array", items="string")
_DATETIME = Field(format="datetime")
_NDATETIME = Field(nullable=True, format="datetime")
_EXT = Field("object")


def _grade(grades: tuple[str, ...]) -> Field:
    return Field(nullable=True, enum=grades)


def _v20() -> dict[str, dict[str, Field]]:
    grade = _grade(GRADES_V20)
    return {
        "Name": {"first": _NS, "middle": _NS, "last": _NS},
        "AdminName": {"first": _NS, "last": _NS},
        "Credentials": {"district_username": _S},
        "Location": {"address": _NS, "city": _NS, "state": _NS, "zip": _NS, "lat": _NS, "lon": _NS},
        "Principal": {"email": _NS, "name": _NS},
        "Link": {"rel": Field(enum=LINK_RELS), "uri": _S},
        "District": {
            "error": _S,
            "id": _ID,
            "last_sync": _NDATETIME,
            "launch_date": _DATETIME,
            "mdr_number": _NS,
            "name": _S,
            "nces_id": _NS,
            "pause_end": _NDATETIME,
            "pause_start": _NDATETIME,
            "sis_type": _S,
            "state": Field(enum=DISTRICT_STATES_V20),
        },
        "DistrictAdmin": {
            "district": _ID,
            "email": _S,
            "id": _ID,
            "name": Field("AdminName", nullable=True),
            "title": _NS,
        },
        "School": {
            "created": _DATETIME,
            "district": _ID,
            "high_grade": grade,
            "id": _ID,
            "last_modified": _DATETIME,
            "location": Field("Location", nullable=True),
            "low_grade": grade,
            "mdr_number": _NS,
            "name": _S,
            "nces_id": _NS,
            "phone": _NS,
            "principal": Field("Principal"),
            "school_number": _S,
            "sis_id": _S,
            "state_id": _NS,
        },
        "SchoolAdmin": {
            "credentials": Field("Credentials"),
            "district": _ID,
            "email": _S,
            "id": _ID,
            "name": Field("AdminName"),
            "schools": _IDS,
            "staff_id": _S,
            "title": _NS,
        },
        "Section": {
            "course": Field(nullable=True),
            "created": _DATETIME,
            "district": _ID,
            "grade": grade,
            "id": _ID,
            "last_modified": _DATETIME,
            "name": _S,
            "period": _NS,
            "school": _ID,
            "section_number": _NS,
            "sis_id": _S,
            "students": _IDS,
            "subject": Field(enum=SUBJECTS_V20),
            "teacher": Field(nullable=True),
            "teachers": _IDS,
            "term_id": Field(nullable=True),
        },
        "Student": {
            "created": _DATETIME,
            "credentials": Field("Credentials"),
            "district": _ID,
            "dob": Field(nullable=True, pattern=DOB_RE),
            "ell_status": Field(nullable=True, enum=YES_NO),
            "email": _NS,
            "gender": Field(nullable=True, enum=GENDERS_V20),
            "grade": grade,
            "graduation_year": _NS,
            "hispanic_ethnicity": Field(nullable=True, enum=YES_NO),
            "id": _ID,
            "last_modified": _DATETIME,
            "location": Field("Location", nullable=True),
            "name": Field("Name"),
            "race": Field(nullable=True, enum=RACES),
            "school": _ID,
            "schools": _IDS,
            "sis_id": _S,
            "state_id": _NS,
            "student_number": _NS,
        },
        "Teacher": {
            "created": _DATETIME,
            "credentials": Field("Credentials", nullable=True),
            "district": _ID,
            "email": _NS,
            "id": _ID,
            "last_modified": _DATETIME,
            "name": Field("Name"),
            "school": _ID,
            "schools": _IDS,
            "sis_id": _S,
            "state_id": _NS,
            "teacher_number": _NS,
            "title": _NS,
        },
        # The identity API's /me object (v2.0-identity.yml).
        "Me": {"district": _ID, "id": _ID, "type": _S},
    }


def _v21() -> dict[str, dict[str, Field]]:
    defs = _v20()
    grade = _grade(GRADES_V21)
    defs["SchoolEnrollment"] = {"end_date": _DATETIME, "school": _ID, "start_date": _DATETIME}
    defs["District"] |= {
        "district_contact": Field("DistrictAdmin", nullable=True),
        "login_methods": _IDS,
        "portal_url": _S,
        "state": Field(nullable=True, enum=DISTRICT_STATES_V21),
    }
    defs["School"] |= {"ext": _EXT, "high_grade": grade, "low_grade": grade}
    defs["SchoolAdmin"] |= {"department": _NS, "ext": _EXT}
    defs["Section"] |= {"ext": _EXT, "grade": grade, "subject": Field(nullable=True, enum=SUBJECTS_V21)}
    defs["Student"] |= {
        "enrollments": Field("array", items="SchoolEnrollment"),
        "ext": _EXT,
        "gender": Field(nullable=True, enum=GENDERS_V21),
        "grade": grade,
    }
    defs["Teacher"] |= {"ext": _EXT}
    # Not in the published identity file (which is v2.0 only); seen in v2.1 clients.
    defs["Me"] |= {"authorized_by": _S}
    return defs


DEFINITIONS: dict[str, dict[str, dict[str, Field]]] = {V20: _v20(), V21: _v21()}

# The definition each served collection's records follow.
KIND_DEFINITIONS = {
    "districts": "District",
    "schools": "School",
    "teachers": "Teacher",
    "students": "Student",
    "sections": "Section",
    "school_admins": "SchoolAdmin",
    "district_admins": "DistrictAdmin",
}


def validate(value: object, definition: str, *, version: str = V21, path: str = "") -> list[str]:
    """Return the problems with `value` as an instance of `definition` (empty when it conforms)."""
    problems: list[str] = []
    _check_object(value, DEFINITIONS[version][definition], DEFINITIONS[version], path or definition, problems)
    return problems


def _check_object(value, fields: dict[str, Field], defs, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object, got {_kind(value)}")
        return
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            problems.append(f"{path}.{key}: not a field of this object")
            continue
        _check_field(item, field, defs, f"{path}.{key}", problems)


def _check_field(value, field: Field, defs, path: str, problems: list[str]) -> None:
    if value is None:
        if not field.nullable:
            problems.append(f"{path}: may not be null")
        return
    if field.type == "string":
        _check_string(value, field, path, problems)
    elif field.type == "array":
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {_kind(value)}")
            return
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if field.items == "string":
                if not isinstance(item, str):
                    problems.append(f"{item_path}: expected a string, got {_kind(item)}")
            else:
                _check_object(item, defs[field.items], defs, item_path, problems)
    elif field.type == "object":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, got {_kind(value)}")
    else:
        _check_object(value, defs[field.type], defs, path, problems)


def _check_string(value, field: Field, path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"{path}: expected a string, got {_kind(value)}")
    elif field.enum is not None and value not in field.enum:
        problems.append(f"{path}: {value!r} is not one of {', '.join(repr(e) for e in field.enum)}")
    elif field.format == "datetime" and not DATETIME_RE.match(value):
        problems.append(f"{path}: {value!r} is not a date-time like 2024-08-15T00:00:00.000Z")
    elif field.pattern is not None and not field.pattern.match(value):
        problems.append(f"{path}: {value!r} does not match {field.pattern.pattern}")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
