"""Writes for onboarding. Every change to a teacher's onboarding goes through one of these.

A reset by staff (answers deleted, or a finished questionnaire opened again for new questions)
and an export of answers are recorded in the audit trail.
"""

from collections.abc import Mapping

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

from .models import Answer, Onboarding, Question
from .selectors import onboardings_finished_without

AnswerValue = str | list[str]


def onboarding_start(*, user) -> Onboarding:
    """Record that this user saw the questionnaire; run when the form is first shown.

    Staff then see teachers who started but did not finish. Idempotent.
    """
    onboarding, _created = Onboarding.objects.get_or_create(user=user)
    return onboarding


@transaction.atomic
def onboarding_submit(*, user, answers: Mapping[Question, AnswerValue]) -> Onboarding:
    """Save the answers (insert or update, one row per question) and mark the onboarding finished.

    The caller has validated the answers. Submitting again updates the same rows: the
    unique (onboarding, question) constraint and an upsert make a double submit harmless.
    The first finish time is kept when a teacher revises their answers.
    """
    # The row lock serialises two submits of the same person (a double click) on PostgreSQL.
    onboarding, _created = Onboarding.objects.select_for_update().get_or_create(user=user)
    Answer.objects.bulk_create(
        [
            Answer(onboarding=onboarding, question=question, label=question.label, value=question.shape(value))
            for question, value in answers.items()
        ],
        update_conflicts=True,
        unique_fields=["onboarding", "question"],
        update_fields=["label", "value", "updated_at"],
    )
    if onboarding.finished_at is None:
        onboarding.finished_at = timezone.now()
    onboarding.save(update_fields=["finished_at", "updated_at"])
    return onboarding


@transaction.atomic
def onboarding_reset(*, onboarding: Onboarding, request: HttpRequest | None = None) -> None:
    """Forget a teacher's answers and send them through onboarding again on their next page.

    Their next questionnaire is prefilled from Clever afresh. Recorded in the audit trail,
    with who asked (`request`: staff in the admin).
    """
    deleted, _per_model = Answer.objects.filter(onboarding=onboarding).delete()
    onboarding.finished_at = None
    onboarding.save(update_fields=["finished_at", "updated_at"])
    _reset_record(onboarding=onboarding, request=request, detail=f"answers deleted: {deleted}")


@transaction.atomic
def onboarding_reopen(*, questions: list[Question], request: HttpRequest | None = None) -> int:
    """Ask the teachers who finished onboarding without these questions to answer them; return how many.

    Their onboarding is marked unfinished, so the gate shows them the questionnaire on their
    next page, with their saved answers kept and the new questions to answer. Each teacher's
    reset is recorded in the audit trail, with who asked (`request`: staff in the admin).
    Inactive questions are never asked, so they are left out.
    """
    questions = [question for question in questions if question.active]
    onboardings = list(onboardings_finished_without(questions=questions).select_for_update())
    if not onboardings:
        return 0
    Onboarding.objects.filter(pk__in=[onboarding.pk for onboarding in onboardings]).update(
        finished_at=None, updated_at=timezone.now()
    )
    question_ids = ", ".join(str(question.pk) for question in questions)
    for onboarding in onboardings:
        _reset_record(
            onboarding=onboarding,
            request=request,
            detail=f"asked again for new questions {question_ids}; answers kept",
        )
    return len(onboardings)


def _reset_record(*, onboarding: Onboarding, request: HttpRequest | None, detail: str) -> None:
    """Record in the audit trail that staff (`request`) sent this teacher through onboarding again."""
    audit_record(
        action=AuditEvent.Action.ONBOARDING_RESET,
        request=request,
        system="onboarding",
        target_type="user",
        target_id=onboarding.user_id,
        detail=detail,
    )


def question_deactivate(*, question: Question) -> bool:
    """Stop asking this question, keeping its answers; return False when it was already inactive."""
    if not question.active:
        return False
    question.active = False
    question.save(update_fields=["active", "updated_at"])
    return True


def onboarding_export_record(*, request: HttpRequest | None, user_ids: list[int]) -> None:
    """Record in the audit trail that staff exported these people's answers (ids only, cut to fit)."""
    ids = ", ".join(str(pk) for pk in sorted(user_ids))
    audit_record(
        action=AuditEvent.Action.ONBOARDING_EXPORTED,
        request=request,
        system="onboarding",
        target_type="user" if len(user_ids) == 1 else "users",
        target_id=user_ids[0] if len(user_ids) == 1 else "",
        detail=f"answers of {len(user_ids)} teachers exported as CSV; user ids: {ids}",
    )
