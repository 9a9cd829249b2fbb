"""Reads of the roster, with their joins already applied."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import Enrollment, Section, SectionTeacher, SyncJob, SyncRun, Teacher


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
