"""
The teacher sync engine: one teacher's roster, read with one token, applied all or nothing.

`roster_fetch` reads everything first, outside any transaction (the teacher, their
school, their sections, then each section's students, sections in parallel), into a
`RosterSnapshot`. `roster_apply` applies only such a complete snapshot, in one
transaction, so a failed fetch changes nothing: an API error is never read as "no
students". Its SQL does not grow with sections or students, and applying the same
snapshot twice changes nothing the second time. Why it is shaped so: docs/architecture.md.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .. import clever, selectors
from ..models import DistrictToken, SectionTeacher, Teacher
from ..teachers import teacher_profile_refresh, teachers_ensure
from . import rows
from .rows import SyncCounts


@dataclass(frozen=True)
class RosterSnapshot:
    """A complete fetch of one teacher's roster, ready to apply."""

    teacher: clever.Teacher
    school: clever.School | None
    sections: tuple[clever.Section, ...]
    students: dict[str, tuple[clever.Student, ...]]  # section clever id -> its students
    http_calls: int = 0
    fetched_at: datetime | None = None  # when the fetch began


class _DryRun(Exception):
    pass


# --- Fetch ----------------------------------------------------------------------------------


def roster_fetch(*, client: clever.CleverClient, teacher_clever_id: str) -> RosterSnapshot:
    """Read one teacher's whole roster from Clever; raise a CleverError if any part fails."""
    calls_before = client.calls
    fetched_at = timezone.now()
    teacher = client.teacher(teacher_clever_id)
    school = None
    if teacher.school_id:
        try:
            school = client.school(teacher.school_id)
        except clever.CleverNotFound:
            school = None  # the school's name is a nicety; a token that cannot read it is fine
    sections = tuple(client.teacher_sections(teacher_clever_id))
    students: dict[str, tuple[clever.Student, ...]] = {}
    if sections:
        workers = max(1, min(settings.CLEVER_SYNC_CONCURRENCY, len(sections)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roster-fetch") as pool:
            # map() re-raises the first failure; the snapshot is then never built.
            for section, section_students in zip(
                sections, pool.map(lambda s: tuple(client.section_students(s.id)), sections), strict=True
            ):
                students[section.id] = section_students
    return RosterSnapshot(
        teacher=teacher,
        school=school,
        sections=sections,
        students=students,
        http_calls=client.calls - calls_before,
        fetched_at=fetched_at,
    )


# --- Apply ----------------------------------------------------------------------------------


def roster_apply(*, teacher: Teacher, snapshot: RosterSnapshot, dry_run: bool = False) -> SyncCounts:
    """Apply a complete fetch in one transaction and return what changed.

    With `dry_run`, everything is computed and then rolled back.
    """
    return rows.apply_retrying(
        lambda: _apply_once(teacher=teacher, snapshot=snapshot, dry_run=dry_run), what=f"teacher {teacher.pk}"
    )


def _apply_once(*, teacher: Teacher, snapshot: RosterSnapshot, dry_run: bool) -> SyncCounts:
    counts = SyncCounts()
    try:
        with transaction.atomic():
            now = timezone.now()
            if _district_synced_since(teacher=teacher, fetched_at=snapshot.fetched_at):
                # The district's sync applied what Clever said after this fetch began: this older
                # snapshot would undo some of it (a removed student back, say) until the next full
                # sync. Its next events sync brings anything newer.
                return counts
            # Serialise syncs of one teacher (PostgreSQL); SQLite serialises all writers already.
            # NO KEY: a co-teacher's sync links this teacher meanwhile, and its foreign-key check
            # (FOR KEY SHARE) must not wait for us, or two co-teachers syncing at once deadlock.
            locked = Teacher.objects.select_for_update(no_key=True).get(pk=teacher.pk)
            if teacher_profile_refresh(
                teacher=locked,
                profile=snapshot.teacher,
                school_name=snapshot.school.name if snapshot.school else "",
                synced_at=now,
            ):
                counts.updated += 1
            section_pks = rows.sections_upsert(sections=snapshot.sections, counts=counts)
            _link_teachers(locked, snapshot.sections, section_pks, now, counts)
            student_pks = rows.students_upsert(
                students=[student for students in snapshot.students.values() for student in students], counts=counts
            )
            rows.enrollments_sync(
                enrolled={
                    (section_pks[section_id], student_pks[student.id])
                    for section_id, students in snapshot.students.items()
                    for student in students
                },
                section_pks=list(section_pks.values()),
                now=now,
                counts=counts,
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return counts


def _district_synced_since(*, teacher: Teacher, fetched_at: datetime | None) -> bool:
    """Wait for a district sync in progress, then say whether one was applied after `fetched_at`.

    FOR SHARE on the district's row: teachers' syncs still apply side by side, but never
    while their district's sync applies (it holds the row FOR NO KEY UPDATE). Taken before
    the teacher's own lock, as the district's sync takes its row before teachers' rows.
    """
    if not teacher.district_id or fetched_at is None:
        return False
    if connection.vendor == "postgresql":  # SQLite serialises all writers already
        table = connection.ops.quote_name(DistrictToken._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE district_id = %s FOR SHARE", [teacher.district_id])  # noqa: S608
    district = selectors.teacher_district(teacher=teacher)
    return district is not None and district.last_synced_at is not None and district.last_synced_at > fetched_at


def _link_teachers(
    teacher: Teacher,
    sections: tuple[clever.Section, ...],
    section_pks: dict[str, int],
    now,
    counts: SyncCounts,
) -> None:
    """Link every teacher Clever lists on the sections, and unlink this teacher from sections it left.

    Co-teachers who have never signed in get a placeholder Teacher row, so they
    find the shared section when they do. A section left with no teacher loses its enrollments.
    """
    wanted: dict[tuple[int, str], bool] = {}  # (section pk, teacher clever id) -> is primary
    for section in sections:
        teacher_ids = set(section.teacher_ids) | ({section.teacher_id} if section.teacher_id else set())
        teacher_ids.add(teacher.clever_id)  # the teacher we sync always teaches the sections Clever lists for them
        for teacher_id in teacher_ids:
            wanted[(section_pks[section.id], teacher_id)] = teacher_id == section.teacher_id
    teacher_pks = teachers_ensure(
        clever_ids=[teacher_id for _, teacher_id in wanted], sharing=teacher.sharing, district_id=teacher.district_id
    )
    # Sections this teacher no longer teaches.
    left = list(
        SectionTeacher.objects.filter(teacher=teacher)
        .exclude(section_id__in=section_pks.values())
        .values_list("pk", "section_id")
    )
    rows.section_teachers_sync(
        links={(section_pk, teacher_pks[teacher_id]): primary for (section_pk, teacher_id), primary in wanted.items()},
        section_pks=list(section_pks.values()),
        unlink=[pk for pk, _section_pk in left],
    )
    if left:
        counts.removed += rows.teacherless_sections_empty(
            section_pks=[section_pk for _pk, section_pk in left], now=now
        )
