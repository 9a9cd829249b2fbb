"""
The writes every sync engine shares, and the one writer of Section, Student,
SectionTeacher and Enrollment rows.

Each function writes many rows in a few statements (bulk upserts keyed on `clever_id`,
updates by primary key), so the SQL of a sync grows with the number of tables, not of
rows. Rows are written in `clever_id` order, one lock order for every sync, so two syncs
that touch the same rows never deadlock. Rows Clever did not change are not written,
and removals are soft: an enrollment is marked removed and a student left with none is
archived, so a student who comes back keeps their primary key. Deletes are here too: a
teacher's classes when their account goes, and the sections and students the data policy
purges (docs/privacy.md), each a few statements for any number of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from .. import clever, selectors
from ..models import Enrollment, Section, SectionTeacher, Student


@dataclass
class SyncCounts:
    """Rows changed by one sync: sections, students and enrollments (and the teacher's profile)."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    restored: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.removed + self.restored

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def upsert_by_clever_id(model, rows: dict[str, dict[str, str]], counts: SyncCounts) -> dict[str, int]:
    """Insert new rows and update changed ones (values keyed by field name); return clever id -> pk.

    Rows Clever did not change are not written, so an unchanged sync writes nothing.
    """
    fields = list(next(iter(rows.values()), {}))
    existing = {
        row[0]: row[1:]
        for row in model.objects.filter(clever_id__in=list(rows)).values_list("clever_id", "pk", *fields)
    }
    pks = {clever_id: row[0] for clever_id, row in existing.items()}
    to_write = []
    for clever_id in sorted(rows):  # one lock order for every sync: no deadlocks between syncs
        values = rows[clever_id]
        current = existing.get(clever_id)
        if current is None:
            counts.created += 1
        elif tuple(current[1:]) != tuple(values.values()):
            counts.updated += 1
        else:
            continue
        to_write.append(model(clever_id=clever_id, **values))
    if to_write:
        written = model.objects.bulk_create(
            to_write, update_conflicts=True, unique_fields=["clever_id"], update_fields=[*fields, "updated_at"]
        )
        pks.update({row.clever_id: row.pk for row in written})
    return pks


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


def students_upsert(*, students: Iterable[clever.Student], counts: SyncCounts) -> dict[str, int]:
    """Create or update these students, active again if archived; return clever id -> primary key."""
    pks = upsert_by_clever_id(Student, {student.id: _student_values(student) for student in students}, counts)
    # Students in the fetch are active again (their enrollments are restored or created next).
    Student.objects.filter(pk__in=list(pks.values()), archived_at__isnull=False).update(
        archived_at=None, updated_at=timezone.now()
    )
    return pks


def _student_values(student: clever.Student) -> dict[str, str]:
    return {
        "first_name": student.first_name[:255],
        "middle_name": student.middle_name[:255],
        "last_name": student.last_name[:255],
        "grade": student.grade[:32],
    }


def section_teachers_sync(
    *, links: dict[tuple[int, int], bool], section_pks: Collection[int], unlink: Collection[int] = ()
) -> None:
    """Make the teachers of these sections exactly `links`: (section pk, teacher pk) -> is primary.

    `unlink`: further SectionTeacher primary keys to delete with the links no longer wanted.
    """
    existing = {
        (section_pk, teacher_pk): (pk, is_primary)
        for pk, section_pk, teacher_pk, is_primary in SectionTeacher.objects.filter(
            section_id__in=section_pks
        ).values_list("pk", "section_id", "teacher_id", "is_primary")
    }
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
        )
    stale = [pk for key, (pk, _primary) in existing.items() if key not in links] + list(unlink)
    if stale:
        SectionTeacher.objects.filter(pk__in=stale).delete()


def enrollments_sync(
    *, enrolled: set[tuple[int, int]], section_pks: Collection[int], now: datetime, counts: SyncCounts
) -> None:
    """Make the active enrollments of these sections exactly `enrolled`: (section pk, student pk) pairs.

    New pairs are created, removed ones restored (same row), the others soft-removed.
    """
    existing = {
        (section_pk, student_pk): (pk, removed_at)
        for pk, section_pk, student_pk, removed_at in Enrollment.objects.filter(
            section_id__in=section_pks
        ).values_list("pk", "section_id", "student_id", "removed_at")
    }
    new = sorted(enrolled - existing.keys())
    if new:
        Enrollment.objects.bulk_create(
            [Enrollment(section_id=section_pk, student_id=student_pk) for section_pk, student_pk in new],
            ignore_conflicts=True,  # a concurrent sync of a co-teacher may have just added it
        )
        counts.created += len(new)
    restore = [pk for key, (pk, removed_at) in existing.items() if key in enrolled and removed_at is not None]
    if restore:
        counts.restored += Enrollment.objects.filter(pk__in=restore).update(removed_at=None)
    remove = [pk for key, (pk, removed_at) in existing.items() if key not in enrolled and removed_at is None]
    if remove:
        counts.removed += enrollments_remove(Enrollment.objects.filter(pk__in=remove), now=now)


def teacherless_sections_empty(*, section_pks: Collection[int], now: datetime) -> int:
    """Soft-remove the enrollments of those of these sections no teacher teaches any more; return how many."""
    orphaned = Section.objects.filter(pk__in=section_pks, section_teachers=None)
    return enrollments_remove(Enrollment.objects.filter(section__in=orphaned), now=now)


def enrollments_remove(enrollments: QuerySet[Enrollment], *, now: datetime) -> int:
    """Soft-remove active enrollments and archive students left with none; return how many were removed."""
    enrollments = enrollments.filter(removed_at__isnull=True)
    student_pks = list(enrollments.values_list("student_id", flat=True))
    removed = enrollments.update(removed_at=now)
    if student_pks:
        still_enrolled = Enrollment.objects.filter(removed_at__isnull=True).values("student_id")
        Student.objects.filter(pk__in=student_pks, archived_at__isnull=True).exclude(pk__in=still_enrolled).update(
            archived_at=now, updated_at=now
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
