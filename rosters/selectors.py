"""Reads of the roster, with their joins already applied."""

from collections.abc import Iterable

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404

from .models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncJob, SyncRun, Teacher
from .upserts import chunks, pks_by_clever_id


def teacher_for_user(*, user) -> Teacher | None:
    """Return the Clever teacher linked to this user, or None."""
    if not user.is_authenticated:
        return None
    return Teacher.objects.filter(user=user).first()


def teacher_sections(*, teacher: Teacher) -> QuerySet[Section]:
    """Return the teacher's sections with their active student count and every teacher, in two queries."""
    return (
        Section.objects.filter(section_teachers__teacher=teacher)
        .annotate(student_count=Count("enrollments", filter=Q(enrollments__removed_at__isnull=True), distinct=True))
        .prefetch_related(
            Prefetch(
                "section_teachers",
                queryset=SectionTeacher.objects.select_related("teacher").order_by(
                    "-is_primary", "teacher__last_name"
                ),
            )
        )
        .order_by("name", "pk")
    )


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


def section_enrollments(*, section: Section) -> QuerySet[Enrollment]:
    """Return the section's enrollments with their students: current ones first, then those removed in Clever."""
    return (
        Enrollment.objects.filter(section=section)
        .select_related("student")
        .order_by(F("removed_at").asc(nulls_first=True), "student__last_name", "student__first_name", "pk")
    )


def teacher_last_sync(*, teacher: Teacher) -> SyncRun | None:
    """Return the teacher's most recent finished sync, or None."""
    return teacher.sync_runs.exclude(outcome=SyncRun.Outcome.RUNNING).order_by("-started_at", "-pk").first()


def teacher_district(*, teacher: Teacher) -> DistrictToken | None:
    """Return the district the teacher's classes sync with (its token and sync state), or None."""
    if not teacher.district_id:
        return None
    return DistrictToken.objects.filter(district_id=teacher.district_id).first()


def teacher_roster_updated_at(*, teacher: Teacher, district: DistrictToken | None):
    """Return when the teacher's classes were last brought up to date from Clever (their sync or their district's)."""
    return max(filter(None, (teacher.last_synced_at, district.last_synced_at if district else None)), default=None)


def teacher_sync_pending(*, teacher: Teacher) -> bool:
    """Say whether a background sync of the teacher is queued or running (My classes: "updating…")."""
    return SyncJob.objects.filter(teacher=teacher, status__in=SyncJob.ACTIVE).exists()


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
    names = {}
    for part in chunks(sorted(set(school_ids))):
        names.update(
            Teacher.objects.filter(school_id__in=part).exclude(school_name="").values_list("school_id", "school_name")
        )
    return names
