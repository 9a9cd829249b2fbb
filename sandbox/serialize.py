"""
Records as Clever serves them: per API version, and reduced for the Clever Library.

The roster holds v2.1 records. v2.0 lacks `ext`, `enrollments` and the district's
contact, login methods and portal URL, and has narrower enums: values v2.0 cannot
express are mapped to the nearest one it can (grade "Other", gender "", subject "other").
Library records carry only what Clever gives Library apps (clever-api.md §7).
"""

from __future__ import annotations

from .roster import is_library
from .schema import GRADES_V20, V20, V21

# What Clever shares with Library (teacher-authorized) apps.
LIBRARY_TEACHER_FIELDS = ("id", "name", "email")
LIBRARY_SECTION_FIELDS = ("id", "name", "section_number", "subject", "grade", "teacher", "teachers", "students")
V21_ONLY = {
    "districts": ("login_methods", "portal_url", "district_contact"),
    "schools": ("ext",),
    "teachers": ("ext",),
    "students": ("ext", "enrollments"),
    "sections": ("ext",),
    "school_admins": ("ext", "department"),
    "district_admins": (),
}
HAS_EXT = ("schools", "teachers", "students", "sections", "school_admins")
_GRADE_FIELDS = {"students": ("grade",), "sections": ("grade",), "schools": ("low_grade", "high_grade")}


def render(kind: str, record: dict, version: str) -> dict:
    """Return a record as the API serves it in `version` ("v2.0" or "v2.1")."""
    if kind in ("teachers", "students", "sections") and is_library(record):
        data = _library(kind, record)
    else:
        data = dict(record)
        if version == V21:
            _v21_defaults(kind, data)
    if version == V20:
        _to_v20(kind, data)
    return data


def _library(kind: str, record: dict) -> dict:
    if kind == "students":
        name = record.get("name") or {}
        last = name.get("last") or ""
        return {
            "id": record["id"],
            "name": {"first": name.get("first"), "last": last[:1]},
            "grade": record.get("grade"),
        }
    fields = LIBRARY_TEACHER_FIELDS if kind == "teachers" else LIBRARY_SECTION_FIELDS
    return {key: record[key] for key in fields if key in record}


def _v21_defaults(kind: str, data: dict) -> None:
    if kind in HAS_EXT:
        data.setdefault("ext", {})
    if kind == "students" and "enrollments" not in data:
        start = data.get("created")
        data["enrollments"] = [
            {"school": school_id, **({"start_date": start} if start else {})} for school_id in data.get("schools", [])
        ]


def _to_v20(kind: str, data: dict) -> None:
    for key in V21_ONLY[kind]:
        data.pop(key, None)
    for key in _GRADE_FIELDS.get(kind, ()):
        if key in data:
            data[key] = _v20_grade(data[key])
    if kind == "students" and data.get("gender") == "X":
        data["gender"] = ""
    if kind == "sections" and "subject" in data and not data["subject"]:
        data["subject"] = "other"
    if kind == "districts" and "state" in data and not data["state"]:
        data["state"] = "pending"


def _v20_grade(grade: str | None) -> str | None:
    if not grade:
        return None
    return grade if grade in GRADES_V20 else "Other"
