"""
The writes every sync engine shares, and the one writer of Section, Student,
SectionTeacher and Enrollment rows.

Each function writes many rows in a few statements (bulk upserts keyed on `clever_id`,
updates by primary key), in chunks of `upserts.CHUNK` rows, so the SQL of a sync grows with
the number of tables and chunks, not of rows: one chunk for a teacher, a few for a whole
district. Rows are written in `clever_id` order, one lock order for every sync, so two
syncs that touch the same rows never deadlock. Rows Clever did not change are not written,
and removals are soft: an enrollment is marked removed and a student left with none is
archived, so a student who comes back keeps their primary key. Deletes are here too: a
teacher's classes when their account goes, and the sections and students the data policy
purges (docs/privacy.md), each a few statements for any number of rows.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import TypeVar

from django.db import OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from .. import clever, selectors
from ..models import Enrollment, Section, SectionTeacher, Student
from ..upserts import CHUNK, SyncCounts, chunks, pks_by_clever_id, upsert_by_clever_id

__all__ = [
    "SyncCounts",
    "apply_retrying",
    "district_students_activate",
    "enrollments_remove",
    "enrollments_sync",
    "section_teachers_sync",
    "sections_retire",
    "sections_upsert",
    "student_pks",
    "students_activate",
    "students_unenroll",
    "students_upsert",
    "teacherless_sections_empty",
    "teachers_unlink",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

APPLY_ATTEMPTS = 3  # a deadlock or a busy SQLite file is retried; the fetched data is still good


def apply_retrying(apply: Callable[[], T], *, what: str) -> T:
    """Run an engine's apply (one transaction), again when the database answers a deadlock or a lock timeout."""
    for attempt in range(1, APPLY_ATTEMPTS + 1):
        try:
            return apply()
        except OperationalError as exc:  # deadlock detected / database is locked
            if attempt == APPLY_ATTEMPTS:
                raise
            logger.warning("Roster apply for %s hit %s; retrying", what, type(exc).__name__)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def sections_upsert(*, sections: Iterable[clever.Section], counts: SyncCounts) -> dict[str, int]:
    """Create or update these sections; return clever id -> primary key."""
    return upsert_by_clever_id(Section, {section.id: _section_values(section) for section in sections}, counts)


def _section_values(section: clever.Section) -> dict[str, str]:
    return {
        "name": section.name[:255] or section.id,
        "subject": section.subject[:64],
        "grade": section.grade[:32],
        "period": section.period[:64],
        "section_number": section.section_number[:64],
        "school_id": section.school_id[:64],
        "district_id": section.district_id[:64],
    }


def students_upsert(
    *, students: Iterable[clever.Student], counts: SyncCounts, activate: bool = True
) -> dict[str, int]:
    """Create or update these students; return clever id -> primary key.

    With `activate`, archived ones are active again: the caller is enrolling them (their
    enrollments are restored or created next).
    """
    pks = upsert_by_clever_id(Student, {student.id: _student_values(student) for student in students}, counts)
    if activate:
        students_activate(pks=pks.values())
    return pks


def _student_values(student: clever.Student) -> dict[str, str]:
    return {
        "first_name": student.first_name[:255],
        "middle_name": student.middle_name[:255],
        "last_name": student.last_name[:255],
        "grade": student.grade[:32],
    }


def student_pks(*, clever_ids: Iterable[str]) -> dict[str, int]:
    """Return clever id -> primary key of the students we hold among these clever ids."""
    return pks_by_clever_id(Student, clever_ids)


def students_activate(*, pks: Iterable[int]) -> None:
    """Clear the archive mark of these students (they have a class again)."""
    now = timezone.now()
    for part in chunks(sorted(set(pks))):
        Student.objects.filter(pk__in=part, archived_at__isnull=False).update(archived_at=None, updated_at=now)


def district_students_activate(*, district_id: str) -> None:
    """Clear the archive mark of the district's students who are in one of its classes again.

    One statement whatever the district's size: it looks at archived students only.
    """
    if not district_id:
        raise ValueError("a district id is required")
    now = timezone.now()
    Student.objects.filter(
        archived_at__isnull=False, enrollments__removed_at__isnull=True, enrollments__section__district_id=district_id
    ).update(archived_at=None, updated_at=now)


def section_teachers_sync(
    *, links: dict[tuple[int, int], bool], section_pks: Collection[int], unlink: Collection[int] = ()
) -> None:
    """Make the teachers of these sections exactly `links`: (section pk, teacher pk) -> is primary.

    `unlink`: further SectionTeacher primary keys to delete with the links no longer wanted.
    """
    existing = {}
    for part in chunks(sorted(section_pks)):
        existing.update(
            ((section_pk, teacher_pk), (pk, is_primary))
            for pk, section_pk, teacher_pk, is_primary in SectionTeacher.objects.filter(
                section_id__in=part
            ).values_list("pk", "section_id", "teacher_id", "is_primary")
        )
    to_write = [
        SectionTeacher(section_id=section_pk, teacher_id=teacher_pk, is_primary=primary)
        for (section_pk, teacher_pk), primary in sorted(links.items())
        if existing.get((section_pk, teacher_pk), (None, None))[1] != primary
    ]
    if to_write:
        SectionTeacher.objects.bulk_create(
            to_write,
            update_conflicts=True,
            unique_fields=["section", "teacher"],
            update_fields=["is_primary"],
            batch_size=CHUNK,
        )
    stale = [pk for key, (pk, _primary) in existing.items() if key not in links] + list(unlink)
    for part in chunks(sorted(stale)):
        SectionTeacher.objects.filter(pk__in=part).delete()


def enrollments_sync(
    *, enrolled: set[tuple[int, int]], section_pks: Collection[int], now: datetime, counts: SyncCounts
) -> None:
    """Make the active enrollments of these sections exactly `enrolled`: (section pk, student pk) pairs.

    New pairs are created, removed ones restored (same row), the others soft-removed.
    Removals come last, once every new enrollment exists, so a student who moves between
    two sections is never archived on the way.
    """
    wanted = defaultdict(set)
    for section_pk, student_pk in enrolled:
        wanted[section_pk].add(student_pk)
    new, restore, remove = [], [], []
    for part in chunks(sorted(section_pks)):
        existing = {
            (section_pk, student_pk): (pk, removed_at)
            for pk, section_pk, student_pk, removed_at in Enrollment.objects.filter(section_id__in=part).values_list(
                "pk", "section_id", "student_id", "removed_at"
            )
        }
        pairs = {(section_pk, student_pk) for section_pk in part for student_pk in wanted.get(section_pk, ())}
        new += pairs - existing.keys()
        restore += [pk for key, (pk, removed_at) in existing.items() if key in pairs and removed_at is not None]
        remove += [pk for key, (pk, removed_at) in existing.items() if key not in pairs and removed_at is None]
    _enrollments_insert(sorted(new), now=now)
    counts.created += len(new)
    for part in chunks(sorted(restore)):
        counts.restored += Enrollment.objects.filter(pk__in=part).update(removed_at=None)
    for part in chunks(sorted(remove)):
        counts.removed += enrollments_remove(Enrollment.objects.filter(pk__in=part), now=now)


def _enrollments_insert(pairs: list[tuple[int, int]], *, now: datetime) -> None:
    """Insert these (section pk, student pk) enrollments, skipping any a concurrent sync has just added.

    On PostgreSQL each chunk binds two arrays (`unnest`) rather than 10,000 model objects'
    values: for a district's 150,000 enrollments, building those objects and their SQL
    cost more than the database's own work (docs/benchmarks.md#make-bench-district-a-whole-district).
    """
    if connection.vendor != "postgresql":
        for part in chunks(pairs):  # the model objects of one chunk at a time
            Enrollment.objects.bulk_create(
                [Enrollment(section_id=section_pk, student_id=student_pk) for section_pk, student_pk in part],
                ignore_conflicts=True,  # a concurrent sync of a co-teacher may have just added it
            )
        return
    table, section, student, created = map(
        connection.ops.quote_name, (Enrollment._meta.db_table, "section_id", "student_id", "created_at")
    )
    sql = (
        f"INSERT INTO {table} ({section}, {student}, {created}) "  # noqa: S608 - names, not data
        "SELECT pair.section_id, pair.student_id, %s "
        "FROM unnest(%s::bigint[], %s::bigint[]) AS pair(section_id, student_id) "
        f"ON CONFLICT ({section}, {student}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        for part in chunks(pairs):
            cursor.execute(sql, [now, [pair[0] for pair in part], [pair[1] for pair in part]])


def teacherless_sections_empty(*, section_pks: Collection[int], now: datetime) -> int:
    """Soft-remove the enrollments of those of these sections no teacher teaches any more; return how many."""
    removed = 0
    for part in chunks(sorted(section_pks)):
        orphaned = Section.objects.filter(pk__in=part, section_teachers=None)
        removed += enrollments_remove(Enrollment.objects.filter(section__in=orphaned), now=now)
    return removed


def enrollments_remove(enrollments: QuerySet[Enrollment], *, now: datetime) -> int:
    """Soft-remove active enrollments and archive students left with none; return how many were removed."""
    enrollments = enrollments.filter(removed_at__isnull=True)
    student_pks = list(enrollments.values_list("student_id", flat=True))
    removed = enrollments.update(removed_at=now)
    if student_pks:
        still_enrolled = Enrollment.objects.filter(removed_at__isnull=True).values("student_id")
        for part in chunks(sorted(set(student_pks))):
            Student.objects.filter(pk__in=part, archived_at__isnull=True).exclude(pk__in=still_enrolled).update(
                archived_at=now, updated_at=now
            )
    return removed


# --- What a district sync removes ----------------------------------------------------------------


def sections_retire(*, section_pks: Collection[int], now: datetime) -> int:
    """Take these sections off every teacher and soft-remove their enrollments (Clever no longer lists them).

    The rows stay, so a section that comes back keeps its primary key. Return how many
    enrollments were removed.
    """
    removed = 0
    for part in chunks(sorted(section_pks)):
        SectionTeacher.objects.filter(section_id__in=part).delete()
        removed += enrollments_remove(Enrollment.objects.filter(section_id__in=part), now=now)
    return removed


def teachers_unlink(*, teacher_pks: Collection[int], district_id: str, now: datetime) -> int:
    """Take these teachers off the district's sections; empty the sections left with no teacher.

    Only that district's sections change: a teacher's Library classes are not Clever's
    district's to take away. Return how many enrollments were removed.
    """
    if not district_id:
        raise ValueError("a district id is required")
    links = SectionTeacher.objects.filter(teacher_id__in=list(teacher_pks), section__district_id=district_id)
    section_pks = set(links.values_list("section_id", flat=True))
    links.delete()
    return teacherless_sections_empty(section_pks=section_pks, now=now)


def students_unenroll(*, student_pks: Collection[int], district_id: str, now: datetime) -> int:
    """Soft-remove these students' enrollments in the district's sections (archiving those left with none)."""
    if not district_id:
        raise ValueError("a district id is required")
    removed = 0
    for part in chunks(sorted(student_pks)):
        removed += enrollments_remove(
            Enrollment.objects.filter(student_id__in=part, section__district_id=district_id), now=now
        )
    return removed


# --- Deletes: a teacher's classes when their account goes, and what the data policy purges ---
# Each returns Django's count of deleted rows per model label ("rosters.Student": 3, ...).


def students_delete(*, students: QuerySet[Student]) -> dict[str, int]:
    """Delete these students with their enrollments."""
    return students.only("pk").delete()[1]  # Django reads the rows it deletes: the keys are enough


@transaction.atomic
def sections_delete(*, sections: QuerySet[Section], now: datetime) -> dict[str, int]:
    """Delete these sections with their enrollments and teacher links.

    A student currently in one of them and in no other current class is archived first, as
    a sync would archive them, so the archived students' window runs for them from `now`.
    """
    current_here = Enrollment.objects.filter(student=OuterRef("pk"), section__in=sections, removed_at__isnull=True)
    current_elsewhere = Enrollment.objects.filter(student=OuterRef("pk"), removed_at__isnull=True).exclude(
        section__in=sections
    )
    Student.objects.filter(Exists(current_here), archived_at__isnull=True).exclude(Exists(current_elsewhere)).update(
        archived_at=now, updated_at=now
    )
    return sections.delete()[1]


def teacher_classes_release(*, teacher_pk: int, now: datetime) -> dict[str, int]:
    """Delete what only this teacher held: the sections nobody else teaches and the students in no other section.

    Run just before the teacher's row is deleted (their account's deletion). A co-taught
    section stays for the other teachers; a student also in another section stays (and is
    archived if none of those is current).
    """
    # Listed once, so that both deletes are about the same sections.
    solo = Section.objects.filter(
        pk__in=list(selectors.teacher_solo_sections(teacher_pk=teacher_pk).values_list("pk", flat=True))
    )
    deleted = Counter(students_delete(students=selectors.students_only_in(sections=solo)))
    deleted.update(sections_delete(sections=solo, now=now))
    return dict(deleted)
