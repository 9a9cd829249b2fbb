"""Helpers for district sync tests: the hand-written Lakeside roster, and the roster rows read back briefly.

Ids in tests/fixtures/district/lakeside.json end in three meaningful hex digits (schools
1xx, teachers 2xx, sections 3xx, students 4xx; Lakeside aa..., Hillcrest bb..., the
Library cc...), so expectations are written with those: "301" is Lakeside's
"Grade 4 - Hopper". Expected values in the tests come from reading that file, never from
the sandbox or the code under test.
"""

import json
from pathlib import Path

from rosters import services
from rosters.models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "district" / "lakeside.json"
LAKESIDE = "aa0000000000000000000001"
HILLCREST = "bb0000000000000000000001"


def lakeside_roster() -> dict:
    return json.loads(FIXTURE.read_text())


def lakeside_id(suffix: str) -> str:
    """Return a Lakeside id from its last three digits: lakeside_id("401") -> "aa0000000000000000000401"."""
    return f"aa0000000000000000000{suffix}"


def short(clever_id: str) -> str:
    """Return the id as the tests write it: the last three digits, prefixed by its district for other districts."""
    return clever_id[-3:] if clever_id.startswith("aa") else f"{clever_id[:2]}{clever_id[-3:]}"


def district_row(sandbox, district_id: str = LAKESIDE, **fields) -> DistrictToken:
    """The district's token as an import from Clever stores it (names as Clever lists them)."""
    names = {LAKESIDE: "Lakeside Unified", HILLCREST: "Hillcrest District"}
    return DistrictToken.objects.create(
        district_id=district_id, name=names[district_id], token=sandbox.state.district_token(district_id), **fields
    )


def district_sync(district: DistrictToken, *, mode: str = "") -> SyncRun:
    return services.district_sync(district=district, trigger=SyncRun.Trigger.COMMAND, mode=mode)


def classes() -> dict[str, set[str]]:
    """Return section -> its current (not removed) students, for every section we hold."""
    found = {short(section_id): set() for section_id in Section.objects.values_list("clever_id", flat=True)}
    for section_id, student_id in Enrollment.objects.filter(removed_at__isnull=True).values_list(
        "section__clever_id", "student__clever_id"
    ):
        found[short(section_id)].add(short(student_id))
    return found


def teachers_of() -> dict[str, set[tuple[str, bool]]]:
    """Return section -> its (teacher, is primary) links."""
    found = {}
    for section_id, teacher_id, primary in SectionTeacher.objects.values_list(
        "section__clever_id", "teacher__clever_id", "is_primary"
    ):
        found.setdefault(short(section_id), set()).add((short(teacher_id), primary))
    return found


def sections() -> dict[str, tuple[str, str, str, str, str]]:
    """Return section -> (name, subject, grade, period, school)."""
    return {
        short(clever_id): (name, subject, grade, period, short(school_id))
        for clever_id, name, subject, grade, period, school_id in Section.objects.values_list(
            "clever_id", "name", "subject", "grade", "period", "school_id"
        )
    }


def teachers() -> dict[str, tuple[str, str, str, str, str]]:
    """Return teacher -> (first name, last name, email, title, school name)."""
    return {
        short(clever_id): tuple(rest)
        for clever_id, *rest in Teacher.objects.values_list(
            "clever_id", "first_name", "last_name", "email", "title", "school_name"
        )
    }


def students() -> dict[str, tuple[str, str, str, bool]]:
    """Return student -> (first name, last name, grade, archived)."""
    return {
        short(clever_id): (first, last, grade, archived_at is not None)
        for clever_id, first, last, grade, archived_at in Student.objects.values_list(
            "clever_id", "first_name", "last_name", "grade", "archived_at"
        )
    }


# What a full sync of Lakeside (tests/fixtures/district/lakeside.json) leaves, written out.
LAKESIDE_CLASSES = {
    "301": {"401", "402", "403", "404"},
    "302": {"405", "406", "407"},
    "303": {"408", "409"},
    "304": {"405", "408", "410"},
}
LAKESIDE_TEACHERS_OF = {
    "301": {("201", True)},
    "302": {("202", True)},
    "303": {("202", True)},
    "304": {("203", True), ("204", False)},
}
LAKESIDE_SECTIONS = {
    "301": ("Grade 4 - Hopper", "english/language arts", "4", "", "101"),
    "302": ("Algebra I - Turing - 1", "math", "7", "1", "102"),
    "303": ("Algebra I - Turing - 2", "math", "7", "2", "102"),
    "304": ("Science Lab - Johnson - 3", "science", "7", "3", "102"),
}
LAKESIDE_TEACHERS = {
    "201": ("Grace", "Hopper", "grace.hopper@lakeside.example", "Grade 4 Teacher", "Lakeside Elementary"),
    "202": ("Alan", "Turing", "alan.turing@lakeside.example", "Math Teacher", "Lakeside Middle"),
    "203": ("Katherine", "Johnson", "", "Science Teacher", "Lakeside Middle"),
    "204": ("Ada", "Byron", "ada.byron@lakeside.example", "Lab Assistant", "Lakeside Middle"),
    "205": ("Edsger", "Dijkstra", "edsger.dijkstra@lakeside.example", "Librarian", "Lakeside Elementary"),
}
# Kit King (411) is in no class: the product does not keep him.
LAKESIDE_STUDENTS = {
    "401": ("Ava", "Adams", "4", False),
    "402": ("Ben", "Brooks", "4", False),
    "403": ("Cleo", "Chen", "4", False),
    "404": ("Dev", "Dutta", "4", False),
    "405": ("Eli", "Evans", "7", False),
    "406": ("Fay", "Fox", "7", False),
    "407": ("Gus", "Gray", "7", False),
    "408": ("Hana", "Hill", "7", False),
    "409": ("Ivo", "Ito", "7", False),
    "410": ("Jun", "Jones", "7", False),
}
