"""
The sandbox's roster: Clever records by kind, validated, with the indexes the API needs.

A roster is plain JSON (docs/sandbox.md, "Roster format"): an object whose keys are
Clever's collection names and whose values are lists of records with Clever's own
v2.1 field names, e.g. ``{"districts": [...], "schools": [...], "teachers": [...],
"students": [...], "sections": [...], "school_admins": [...], "district_admins": [...]}``.
Sections carry the enrollments (``students``) and teaching assignments (``teachers``),
as in Clever. A teacher, student or section without ``district`` belongs to the Clever
Library (teacher-shared, no district, no school).

Records are kept as dicts keyed by id, and every list the API pages through is kept
sorted by id, so a roster of 100,000 students is served without scanning it.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from datetime import UTC, datetime

from . import schema

KINDS = ("districts", "schools", "teachers", "students", "sections", "school_admins", "district_admins")
# The v2 user type of each collection whose records can sign in.
USER_TYPES = {
    "teachers": "teacher",
    "students": "student",
    "school_admins": "school_admin",
    "district_admins": "district_admin",
}
KIND_OF_TYPE = {user_type: kind for kind, user_type in USER_TYPES.items()}
# Top-level keys allowed besides the collections, for notes in hand-written files.
NOTE_KEYS = ("$comment", "description")
# Collections whose records carry created/last_modified in Clever's definitions.
TIMESTAMPED = ("schools", "teachers", "students", "sections")

ID_RE = re.compile(r"^[0-9a-f]{24}$")
DEFAULT_TIMESTAMP = "2024-08-01T12:00:00.000Z"
_MAX_PROBLEMS = 10


class RosterError(ValueError):
    """A roster (a file, a dict, or a change to one) is not valid. The message names the problem."""


def now_timestamp() -> str:
    """Return the current time in Clever's format (2024-08-15T10:00:00.000Z)."""
    return timestamp_at(datetime.now(UTC).timestamp())


def timestamp_at(seconds: float) -> str:
    """Return a Unix time in Clever's format (2024-08-15T10:00:00.000Z)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def is_library(record: dict) -> bool:
    """Return whether a teacher, student or section belongs to the Clever Library (no district)."""
    return not record.get("district")


class Roster:
    """Hold one validated roster and its indexes. Not thread-safe: `sandbox.state.Sandbox` locks."""

    def __init__(self, data: object, *, source: str = "the roster", checked: bool = False):
        self.source = source
        self.records: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.kind_of: dict[str, str] = {}
        problems = _Problems(source)
        if not isinstance(data, dict):
            raise RosterError(f"{source}: expected a JSON object with {', '.join(KINDS)}")
        for key in data:
            if key not in KINDS and key not in NOTE_KEYS:
                problems.add(f"unknown key {key!r} (expected {', '.join(KINDS)})")
        for kind in KINDS:
            items = data.get(kind, [])
            if not isinstance(items, list):
                problems.add(f"{kind}: expected a list")
                continue
            for index, record in enumerate(items):
                where = f"{kind}[{index}]"
                if not isinstance(record, dict):
                    problems.add(f"{where}: expected an object")
                    continue
                record_id = record.get("id")
                if not isinstance(record_id, str) or not ID_RE.match(record_id):
                    problems.add(f"{where}: id {record_id!r} is not a 24-character lowercase hex Clever id")
                    continue
                if record_id in self.kind_of:
                    problems.add(f"{where}: id {record_id} is used twice (ids are unique across the roster)")
                    continue
                record = _normalized(kind, dict(record))
                self.records[kind][record_id] = record
                self.kind_of[record_id] = kind
        problems.raise_if_any()
        # `checked`: this exact data passed the checks before (a cached file), skip the slow part.
        for kind in () if checked else KINDS:
            for record_id, record in self.records[kind].items():
                for problem in self.check(kind, record):
                    problems.add(f"{kind} {record_id}: {problem}")
        problems.raise_if_any()
        self.reindex()

    # --- Reading -----------------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> dict | None:
        """Return the record of that kind and id, or None."""
        return self.records[kind].get(record_id)

    def find(self, record_id: str) -> tuple[str, dict] | None:
        """Return (kind, record) for an id of any kind, or None."""
        kind = self.kind_of.get(record_id)
        return (kind, self.records[kind][record_id]) if kind else None

    def ids(self, kind: str) -> list[str]:
        """Return every id of a kind, ascending."""
        return self._sorted[kind]

    def in_district(self, kind: str, district_id: str) -> list[str]:
        """Return the ids of a kind in one district, ascending."""
        return self._by_district[kind].get(district_id, [])

    def in_school(self, kind: str, school_id: str) -> list[str]:
        """Return the ids of teachers, students or sections of one school, ascending."""
        return self._by_school[kind].get(school_id, [])

    def sections_of(self, kind: str, record_id: str) -> list[str]:
        """Return the ids of the sections a teacher teaches or a student attends, ascending."""
        return self._sections_of[kind].get(record_id, [])

    def students_of_teacher(self, teacher_id: str) -> list[str]:
        """Return the ids of the students in any of a teacher's sections, ascending."""
        ids = set()
        for section_id in self.sections_of("teachers", teacher_id):
            ids.update(self.records["sections"][section_id]["students"])
        return sorted(ids)

    def teachers_of_student(self, student_id: str) -> list[str]:
        """Return the ids of the teachers of any of a student's sections, ascending."""
        ids = set()
        for section_id in self.sections_of("students", student_id):
            ids.update(self.records["sections"][section_id]["teachers"])
        return sorted(ids)

    def schools_of(self, record: dict) -> list[str]:
        """Return the school ids a record belongs to (its `schools`, else its `school`)."""
        schools = record.get("schools") or ([record["school"]] if record.get("school") else [])
        return sorted(schools)

    def to_dict(self) -> dict:
        """Return the roster in its JSON format (records ascending by id)."""
        return {kind: [self.records[kind][i] for i in self._sorted[kind]] for kind in KINDS}

    def count(self, kind: str) -> int:
        return len(self.records[kind])

    # --- Validation ---------------------------------------------------------------------

    def check(self, kind: str, record: dict) -> list[str]:
        """Return the problems with one record: Clever's field rules, then references."""
        problems = schema.validate(record, schema.KIND_DEFINITIONS[kind], path=record["id"])
        # schema paths start with the id, which the caller already names.
        problems = [p.split(".", 1)[1] if "." in p else p for p in problems]
        if problems:
            return problems
        return self._check_references(kind, record)

    def _check_references(self, kind: str, record: dict) -> list[str]:
        problems = []
        district = record.get("district")
        if not record.get("name"):
            problems.append("name is required")
        if kind in ("schools", "school_admins", "district_admins") and not district:
            problems.append("district is required")
        if district and district not in self.records["districts"]:
            problems.append(f"district {district} is not in the roster")
        if kind == "districts":
            return problems
        if kind in ("teachers", "students", "sections") and district and not record.get("school"):
            problems.append("school is required for a district record (leave out district for the Library)")
        if kind in ("teachers", "students", "sections") and not district:
            for key in ("school", "schools"):
                if record.get(key):
                    problems.append(f"{key}: a Library record (no district) has no school")
        for school_id in {record.get("school"), *record.get("schools", [])} - {None}:
            school = self.records["schools"].get(school_id)
            if school is None:
                problems.append(f"school {school_id} is not in the roster")
            elif school["district"] != district:
                problems.append(f"school {school_id} is in another district")
        if kind == "schools" or kind.endswith("admins"):
            return problems
        if record.get("school") and record.get("schools") and record["school"] not in record["schools"]:
            problems.append("school must be one of schools")
        if kind == "sections":
            problems += self._check_members(record, district)
        return problems

    def _check_members(self, section: dict, district: str | None) -> list[str]:
        problems = []
        for key, kind in (("teachers", "teachers"), ("students", "students")):
            members = section.get(key, [])
            if len(set(members)) != len(members):
                problems.append(f"{key} lists someone twice")
            for member_id in members:
                member = self.records[kind].get(member_id)
                if member is None:
                    problems.append(f"{key}: {member_id} is not one of the roster's {kind}")
                elif member.get("district") != district:
                    problems.append(f"{key}: {member_id} is in another district (or the Library)")
        teacher = section.get("teacher")
        if teacher and teacher not in section.get("teachers", []):
            problems.append("teacher must be one of teachers")
        return problems

    # --- Changes (callers reindex) ------------------------------------------------------

    def put(self, kind: str, record: dict) -> dict:
        """Add or replace one record after checking it; return the stored record."""
        if kind not in KINDS:
            raise RosterError(f"unknown kind {kind!r} (expected {', '.join(KINDS)})")
        record_id = record.get("id")
        if not isinstance(record_id, str) or not ID_RE.match(record_id):
            raise RosterError(f"{kind}: id {record_id!r} is not a 24-character lowercase hex Clever id")
        if self.kind_of.get(record_id, kind) != kind:
            raise RosterError(f"id {record_id} is already a {self.kind_of[record_id]} record")
        record = _normalized(kind, dict(record))
        problems = self.check(kind, record)
        if problems:
            raise RosterError(f"{kind} {record_id}: " + "; ".join(problems[:_MAX_PROBLEMS]))
        self.records[kind][record_id] = record
        self.kind_of[record_id] = kind
        return record

    def delete(self, kind: str, record_id: str, *, stamp: str = "") -> dict:
        """Remove one record, and its enrollments and teaching assignments; return it.

        The sections it leaves are replaced, not edited, and get `stamp` (default: now) as last_modified.
        """
        record = self.records[kind].get(record_id)
        if record is None:
            raise RosterError(f"no {kind} record with id {record_id}")
        dependents = self._dependents(kind, record_id)
        if dependents:
            raise RosterError(f"{kind} {record_id} still has {dependents}; remove those first")
        if kind in ("teachers", "students"):
            for section_id in self.sections_of(kind, record_id):
                section = dict(self.records["sections"][section_id])
                section[kind] = [i for i in section[kind] if i != record_id]
                if kind == "teachers" and section.get("teacher") == record_id:
                    section["teacher"] = section["teachers"][0] if section["teachers"] else None
                section["last_modified"] = stamp or now_timestamp()
                self.records["sections"][section_id] = section
        del self.records[kind][record_id]
        del self.kind_of[record_id]
        return record

    def _dependents(self, kind: str, record_id: str) -> str:
        if kind == "districts":
            count = sum(len(self.in_district(k, record_id)) for k in KINDS if k != "districts")
            return f"{count} records" if count else ""
        if kind == "schools":
            count = sum(len(self.in_school(k, record_id)) for k in ("teachers", "students", "sections"))
            count += sum(record_id in a.get("schools", []) for a in self.records["school_admins"].values())
            return f"{count} records" if count else ""
        return ""

    def reindex(self) -> None:
        """Rebuild the sorted id lists and lookups after a change."""
        self._sorted = {kind: sorted(self.records[kind]) for kind in KINDS}
        by_district = {kind: defaultdict(list) for kind in KINDS}
        by_school = {kind: defaultdict(list) for kind in ("teachers", "students", "sections")}
        sections_of = {"teachers": defaultdict(list), "students": defaultdict(list)}
        for kind in KINDS:
            for record_id in self._sorted[kind]:
                record = self.records[kind][record_id]
                district = record["id"] if kind == "districts" else record.get("district")
                if district:
                    by_district[kind][district].append(record_id)
                if kind in by_school:
                    for school_id in self.schools_of(record):
                        by_school[kind][school_id].append(record_id)
                if kind == "sections":
                    for member_kind in ("teachers", "students"):
                        for member_id in record[member_kind]:
                            sections_of[member_kind][member_id].append(record_id)
        self._by_district = by_district
        self._by_school = by_school
        self._sections_of = sections_of


def page_bounds(ids: list[str], *, starting_after: str | None, ending_before: str | None) -> tuple[int, int]:
    """Return the [start, end) slice of sorted `ids` strictly after/before the given cursors."""
    start = bisect.bisect_right(ids, starting_after) if starting_after else 0
    end = bisect.bisect_left(ids, ending_before) if ending_before else len(ids)
    return start, max(start, end)


def _normalized(kind: str, record: dict) -> dict:
    """Fill the fields Clever derives (primary teacher, schools, timestamps) when a roster leaves them out."""
    if kind == "sections":
        record["teachers"] = list(record.get("teachers") or [])
        record["students"] = list(record.get("students") or [])
        record.setdefault("teacher", record["teachers"][0] if record["teachers"] else None)
    if kind in ("teachers", "students") and record.get("school") and "schools" not in record:
        record["schools"] = [record["school"]]
    if kind in ("teachers", "students") and record.get("schools") and not record.get("school"):
        record["school"] = record["schools"][0]
    if kind in TIMESTAMPED and record.get("district"):
        record.setdefault("created", DEFAULT_TIMESTAMP)
        record.setdefault("last_modified", record["created"])
    return record


class _Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, problem: str) -> None:
        self.items.append(problem)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:_MAX_PROBLEMS]
        more = len(self.items) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more else "")
        raise RosterError(f"{self.source} is not a valid sandbox roster: {text}")
