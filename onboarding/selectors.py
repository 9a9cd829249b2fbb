"""Reads for onboarding: the gate's one-row check, the active questions, saved answers and the Clever prefill."""

import enum
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet

from rosters.models import Enrollment, Section, Teacher

from .models import Answer, Onboarding, Question

AnswerValue = str | list[str]

# Clever only serves US school districts, so a district-shared teacher teaches in the US.
CLEVER_DISTRICT_COUNTRY = "US"


class GateStatus(enum.Enum):
    NOT_A_TEACHER = "not_a_teacher"
    PENDING = "pending"
    FINISHED = "finished"


def onboarding_gate_status(*, user_id: int) -> GateStatus:
    """Return whether this user must still onboard, in one query on two unique indexes.

    The middleware runs this on every signed-in request, so it stays a single small query.
    """
    row = (
        get_user_model()
        .objects.filter(pk=user_id)
        .values_list("teacher__id", "onboarding__finished_at")
        .order_by()[:1]
    )
    teacher_id, finished_at = next(iter(row), (None, None))
    if teacher_id is None:
        return GateStatus.NOT_A_TEACHER
    return GateStatus.PENDING if finished_at is None else GateStatus.FINISHED


def onboarding_get(*, user) -> Onboarding | None:
    return Onboarding.objects.filter(user_id=user.pk).first()


def question_list_active() -> QuerySet[Question]:
    """Return the questions to ask, in the order staff set."""
    return Question.objects.filter(active=True).order_by("order", "pk")


def question_next_order() -> int:
    """Return the order that puts a new question after every other one (the next ten up)."""
    last = Question.objects.aggregate(last=Max("order"))["last"]
    return 10 if last is None else (last // 10 + 1) * 10


def teachers_onboarding_counts() -> tuple[int, int]:
    """Return how many teachers with an account have finished onboarding, and how many have not (yet)."""
    teachers = get_user_model().objects.filter(teacher__isnull=False)
    finished = teachers.filter(onboarding__finished_at__isnull=False).count()
    return finished, teachers.count() - finished


def onboardings_finished_without(*, questions: Iterable[Question]) -> QuerySet[Onboarding]:
    """Return the finished onboardings that lack an answer to any of these questions.

    Finishing saves an answer (maybe empty) to every question on the form, so these teachers
    finished before the question was asked (or while it was inactive).
    """
    missing = Q()
    for question in questions:
        missing |= ~Exists(Answer.objects.filter(onboarding=OuterRef("pk"), question=question))
    if not missing:
        return Onboarding.objects.none()
    return Onboarding.objects.filter(finished_at__isnull=False).filter(missing).order_by("pk")


def answer_values(*, onboarding: Onboarding | None) -> dict[int, object]:
    """Return the saved answers by question id (raw JSON values)."""
    if onboarding is None:
        return {}
    return dict(Answer.objects.filter(onboarding=onboarding).values_list("question_id", "value"))


def teacher_section_values(*, teacher: Teacher) -> tuple[set[str], set[str]]:
    """Return the subjects and grades of the sections this teacher teaches that still have students.

    A section whose enrollments were all removed by the sync is one the teacher no longer teaches.
    """
    active = Enrollment.objects.filter(section=OuterRef("pk"), removed_at__isnull=True)
    rows = (
        Section.objects.filter(section_teachers__teacher=teacher)
        .filter(Exists(active))
        .values_list("subject", "grade")
        .order_by()
        .distinct()
    )
    subjects, grades = set(), set()
    for subject, grade in rows:
        if subject:
            subjects.add(subject)
        if grade:
            grades.add(grade)
    return subjects, grades


def _match_choices(question: Question, found: Iterable[str]) -> list[str]:
    """Map Clever values onto the question's choices (by value, case-insensitively); drop unknown ones."""
    by_key = {}
    for value, _text in question.choice_list:
        by_key.setdefault(value.casefold(), value)
    matched = {by_key[key] for key in (item.strip().casefold() for item in found) if key in by_key}
    ordered = [value for value, _text in question.choice_list if value in matched]
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        return ordered
    # A single choice is filled only when the classes point at exactly one answer; otherwise it is a guess.
    return ordered[0] if len(ordered) == 1 else ""


def onboarding_prefill(*, teacher: Teacher, user, questions: Iterable[Question]) -> dict[int, AnswerValue]:
    """Return what Clever already tells us, by question id; questions with nothing to offer are left out.

    The sections are read only when a question asks for subjects or grades.
    """
    Prefill = Question.Prefill
    sections = None
    prefill: dict[int, AnswerValue] = {}
    for question in questions:
        source = question.prefill
        value: AnswerValue = ""
        if source == Prefill.EMAIL:
            value = teacher.email or user.email
        elif source == Prefill.NAME:
            value = teacher.full_name or user.get_full_name()
        elif source == Prefill.SCHOOL:
            # Library teachers' schools are not shared with us; a district teacher's comes from the sync.
            value = "" if teacher.is_library else teacher.school_name
        elif source == Prefill.COUNTRY:
            value = "" if teacher.is_library else CLEVER_DISTRICT_COUNTRY
        elif source in (Prefill.SUBJECTS, Prefill.GRADES) and question.is_choice:
            if sections is None:
                sections = teacher_section_values(teacher=teacher)
            subjects, grades = sections
            value = _match_choices(question, subjects if source == Prefill.SUBJECTS else grades)
        if value:
            prefill[question.pk] = question.shape(value)
    return prefill


def onboarding_list_for_export(*, onboardings: QuerySet[Onboarding]) -> QuerySet[Onboarding]:
    """Return the onboardings with their user, teacher and answers loaded in three queries."""
    return onboardings.select_related("user", "user__teacher").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by())
    )


def question_list_for_export(*, onboardings: QuerySet[Onboarding]) -> QuerySet[Question]:
    """Return the active questions plus any inactive one these teachers answered, in form order."""
    answered = Answer.objects.filter(onboarding__in=onboardings, question=OuterRef("pk"))
    return Question.objects.filter(Q(active=True) | Exists(answered)).order_by("order", "pk")


def answers_of_user(*, user) -> QuerySet[Answer]:
    """Return every answer this person gave (they go when their account is deleted)."""
    return Answer.objects.filter(onboarding__user=user)
