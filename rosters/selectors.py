"""Reads of the roster, with their joins already applied.

Lists a teacher reads (their classes, a class's students) come back sorted in Python, as
people expect names sorted on every database (rosters.names).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from . import names
from .models import DistrictToken, Enrollment, Section, SectionTeacher, SyncJob, SyncRun, Teacher


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
    """Return the district's name as Clever gave it (known once its token is imported), else ""."""
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


def teacher_sync_pending(*, teacher: Teacher) -> bool:
    """Say whether a background sync of the teacher is queued or running (My classes: "updating…")."""
    return SyncJob.objects.filter(teacher=teacher, status__in=SyncJob.ACTIVE).exists()
