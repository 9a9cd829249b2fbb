"""Reads of the roster, with their joins already applied.

Lists a teacher reads (their classes, a class's students) come back sorted in Python, as
people expect names sorted on every database (rosters.names).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from . import names
from .models import DistrictToken, Enrollment, RateBudget, Section, SectionTeacher, Student, SyncJob, SyncRun, Teacher
from .upserts import chunks, pks_by_clever_id


@dataclass(frozen=True)
class StudentRow:
    """One student as a class list shows them."""

    enrollment: Enrollment
    name: str  # "Rodríguez, Maya", "Isabella B.", or with a middle name when that tells two apart
    show_grade: bool  # two students share this name and their grades tell them apart
    same_name_note: bool  # two students share this name and nothing we keep tells them apart

    @property
    def student(self):
        return self.enrollment.student


def teacher_for_user(*, user) -> Teacher | None:
    """Return the Clever teacher linked to this user, or None."""
    if not user.is_authenticated:
        return None
    return Teacher.objects.filter(user=user).first()


def district_name(*, district_id: str) -> str:
    """Return the district's name as its token row has it (Clever's, or what staff typed), or ""."""
    if not district_id:
        return ""
    return DistrictToken.objects.filter(district_id=district_id).values_list("name", flat=True).first() or ""


def teacher_sections(*, teacher: Teacher) -> list[Section]:
    """Return the teacher's sections by name, with their active student count and every teacher, in two queries.

    Each section's teachers come primary first, then by name.
    """
    sections = (
        Section.objects.filter(section_teachers__teacher=teacher)
        .annotate(student_count=Count("enrollments", filter=Q(enrollments__removed_at__isnull=True), distinct=True))
        .prefetch_related(Prefetch("section_teachers", queryset=SectionTeacher.objects.select_related("teacher")))
    )
    ordered = sorted(sections, key=lambda section: (names.collation_key(section.name), section.name, section.pk))
    for section in ordered:
        section.ordered_teachers = sorted(
            section.section_teachers.all(),
            key=lambda link: (
                not link.is_primary,
                names.person_sort_key(
                    first_name=link.teacher.first_name, last_name=link.teacher.last_name, tiebreak=link.pk
                ),
            ),
        )
    return ordered


def sections_with_school_names(*, sections: QuerySet[Section]) -> QuerySet[Section]:
    """Annotate each section with its school's name (`school_name`, None when unknown).

    Clever gives a section only its school's id; the name is the one a sync read for a
    teacher of that school (Teacher.school_name).
    """
    named = Teacher.objects.filter(school_id=OuterRef("school_id")).exclude(school_name="")
    return sections.annotate(school_name=Subquery(named.order_by().values("school_name")[:1]))


def section_for_user(*, user, section_pk: int) -> Section:
    """Return a section the user may see (one of its teachers, or staff who may view students); else 404.

    The answer is the same 404 whether the section exists or not.
    """
    sections = Section.objects.all()
    if not user.has_perm("rosters.view_student"):
        sections = sections.filter(section_teachers__teacher__user=user)
    section = sections.prefetch_related(
        Prefetch("section_teachers", queryset=SectionTeacher.objects.select_related("teacher"))
    ).filter(pk=section_pk)
    try:
        return section.get()
    except Section.DoesNotExist:
        raise Http404 from None


def section_students(*, section: Section) -> list[StudentRow]:
    """Return the section's students as its page lists them: current ones first, then those removed in Clever.

    Each group is in name order as people expect. Two students with the same name are told
    apart by their middle names, else by their grades, else marked as sharing it.
    """
    enrollments = list(Enrollment.objects.filter(section=section).select_related("student"))
    enrollments.sort(
        key=lambda enrollment: (
            enrollment.removed_at is not None,
            names.person_sort_key(
                first_name=enrollment.student.first_name,
                last_name=enrollment.student.last_name,
                middle_name=enrollment.student.middle_name,
                tiebreak=enrollment.pk,
            ),
        )
    )
    shown = {enrollment.pk: _student_name(enrollment.student) for enrollment in enrollments}
    # Namesakes are told apart by their middle names first, then by their grades.
    for pks in _namesakes(enrollments, shown):
        for pk in pks:
            student = next(e.student for e in enrollments if e.pk == pk)
            shown[pk] = _student_name(student, middle=True)
    show_grade, same_name = set(), set()
    for pks in _namesakes(enrollments, shown):
        grades = {e.student.grade for e in enrollments if e.pk in pks}
        (show_grade if len(grades) == len(pks) else same_name).update(pks)
    return [
        StudentRow(
            enrollment=enrollment,
            name=shown[enrollment.pk],
            show_grade=enrollment.pk in show_grade,
            same_name_note=enrollment.pk in same_name,
        )
        for enrollment in enrollments
    ]


def _student_name(student, *, middle: bool = False) -> str:
    first = f"{student.first_name} {student.middle_name}".strip() if middle else student.first_name
    return names.student_name(first_name=first, last_name=student.last_name)


def _namesakes(enrollments: list[Enrollment], shown: dict[int, str]) -> list[set[int]]:
    """Return the groups of enrollments whose shown names a reader could not tell apart."""
    groups: dict[str, set[int]] = {}
    for enrollment in enrollments:
        groups.setdefault(names.collation_key(shown[enrollment.pk]), set()).add(enrollment.pk)
    return [pks for pks in groups.values() if len(pks) > 1]


def teacher_last_sync(*, teacher: Teacher) -> SyncRun | None:
    """Return the teacher's most recent finished sync, or None."""
    return teacher.sync_runs.exclude(outcome=SyncRun.Outcome.RUNNING).order_by("-started_at", "-pk").first()


def teacher_sync_pending(*, teacher: Teacher, now: datetime | None = None) -> bool:
    """Say whether a background sync of the teacher is queued or running (My classes: "updating…").

    A running job whose worker has been silent for ROSTER_JOB_STALE_AFTER seconds at `now`
    died: it is not shown as updating while it waits to be recovered.
    """
    now = timezone.now() if now is None else now
    alive = now - timedelta(seconds=settings.ROSTER_JOB_STALE_AFTER)
    return SyncJob.objects.filter(
        Q(status=SyncJob.Status.QUEUED) | Q(status=SyncJob.Status.RUNNING, heartbeat_at__gte=alive),
        teacher=teacher,
    ).exists()


def teacher_district(*, teacher: Teacher) -> DistrictToken | None:
    """Return the district the teacher's classes sync with (its token and sync state), or None."""
    if not teacher.district_id:
        return None
    return DistrictToken.objects.filter(district_id=teacher.district_id).first()


def teacher_roster_updated_at(*, teacher: Teacher, district: DistrictToken | None):
    """Return when the teacher's classes were last brought up to date from Clever (their sync or their district's)."""
    return max(filter(None, (teacher.last_synced_at, district.last_synced_at if district else None)), default=None)


def district_section_pks(*, district_id: str) -> set[int]:
    """Return the primary keys of every section we hold for this Clever district."""
    if not district_id:
        raise ValueError("a district id is required")  # "" would be every Library section
    return set(Section.objects.filter(district_id=district_id).values_list("pk", flat=True))


def teachers_known(*, clever_ids: Iterable[str]) -> set[str]:
    """Return which of these Clever teacher ids have a Teacher row."""
    return set(pks_by_clever_id(Teacher, clever_ids))


def students_known(*, clever_ids: Iterable[str]) -> set[str]:
    """Return which of these Clever student ids have a Student row."""
    return set(pks_by_clever_id(Student, clever_ids))


def school_names(*, school_ids: Iterable[str]) -> dict[str, str]:
    """Return school id -> name for the schools whose name a Teacher row already shows."""
    found = {}
    for part in chunks(sorted(set(school_ids))):
        found.update(
            Teacher.objects.filter(school_id__in=part).exclude(school_name="").values_list("school_id", "school_name")
        )
    return found


# --- What a teacher's deletion and the data policy remove (docs/privacy.md) ------------------
# Querysets, not lists: the purge (privacy.services) reads them a batch at a time, and each
# delete reads them again, so a row restored meanwhile by a sync is left alone.


def teacher_solo_sections(*, teacher_pk: int) -> QuerySet[Section]:
    """Return the sections this teacher teaches with no other teacher (they go with the teacher)."""
    others = SectionTeacher.objects.filter(section=OuterRef("pk")).exclude(teacher_id=teacher_pk)
    return Section.objects.filter(section_teachers__teacher_id=teacher_pk).exclude(Exists(others))


def teacher_shared_sections(*, teacher_pk: int) -> QuerySet[Section]:
    """Return the sections this teacher co-teaches (they stay for the other teachers)."""
    others = SectionTeacher.objects.filter(section=OuterRef("pk")).exclude(teacher_id=teacher_pk)
    return Section.objects.filter(section_teachers__teacher_id=teacher_pk).filter(Exists(others))


def students_only_in(*, sections: QuerySet[Section]) -> QuerySet[Student]:
    """Return the students enrolled (now or before) in these sections and in no other section."""
    return Student.objects.filter(only_in_sections(sections=sections))


def only_in_sections(*, sections: QuerySet[Section]) -> Q:
    """Return a Student filter: enrolled (now or before) in these sections and in no other section.

    Checked student by student (two index lookups), so a query that walks students in
    batches stays as cheap per batch as the batch is small.
    """
    inside = Enrollment.objects.filter(student=OuterRef("pk"), section__in=sections)
    outside = Enrollment.objects.filter(student=OuterRef("pk")).exclude(section__in=sections)
    return Q(Exists(inside)) & ~Q(Exists(outside))


def enrollments_in(*, sections: QuerySet[Section]) -> QuerySet[Enrollment]:
    """Return every enrollment, current or removed, in these sections."""
    return Enrollment.objects.filter(section__in=sections)


def students_archived_before(*, cutoff: datetime) -> QuerySet[Student]:
    """Return the students archived before `cutoff` and still in no current class."""
    current = Enrollment.objects.filter(student=OuterRef("pk"), removed_at__isnull=True)
    return Student.objects.filter(archived_at__lt=cutoff).exclude(Exists(current))


def sections_untaught_and_empty() -> QuerySet[Section]:
    """Return the sections no teacher teaches and no student is currently in."""
    taught = SectionTeacher.objects.filter(section=OuterRef("pk"))
    current = Enrollment.objects.filter(section=OuterRef("pk"), removed_at__isnull=True)
    return Section.objects.exclude(Exists(taught)).exclude(Exists(current))


def teachers_unclaimed_without_class() -> QuerySet[Teacher]:
    """Return the placeholder teachers (no account here) who teach no section."""
    teaches = SectionTeacher.objects.filter(teacher=OuterRef("pk"))
    return Teacher.objects.filter(user__isnull=True).exclude(Exists(teaches))


def districts_disconnected_before(*, cutoff: datetime) -> QuerySet[DistrictToken]:
    """Return the districts that disconnected the app before `cutoff` and have not reconnected."""
    return DistrictToken.objects.filter(status=DistrictToken.Status.DISCONNECTED, disconnected_at__lt=cutoff)


def district_sections(*, district_ids) -> QuerySet[Section]:
    """Return the sections of these districts (`district_ids`: a list or a values() subquery)."""
    return Section.objects.filter(district_id__in=district_ids)


def district_teachers(*, district_ids) -> QuerySet[Teacher]:
    """Return the teachers of these districts (`district_ids`: a list or a values() subquery)."""
    return Teacher.objects.filter(district_id__in=district_ids)


def sync_runs_finished_before(*, cutoff: datetime) -> QuerySet[SyncRun]:
    """Return the sync runs that started before `cutoff` and are no longer running."""
    return SyncRun.objects.filter(started_at__lt=cutoff).exclude(outcome=SyncRun.Outcome.RUNNING)


def sync_jobs_finished_before(*, cutoff: datetime) -> QuerySet[SyncJob]:
    """Return the sync jobs that ended (or, never started, were asked for) before `cutoff`."""
    ended = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, requested_at__lt=cutoff)
    return SyncJob.objects.filter(ended).exclude(status__in=SyncJob.ACTIVE)


def rate_budgets_before(*, window_start: int) -> QuerySet[RateBudget]:
    """Return the rate budgets of windows that started before `window_start` (Unix seconds)."""
    return RateBudget.objects.filter(window_start__lt=window_start)
