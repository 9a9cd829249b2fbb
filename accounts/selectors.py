"""Reads for accounts: who uses an email, the plan message, and what deleting an account would remove.

A user's Clever teacher is read with rosters.selectors.teacher_for_user.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import QuerySet

from onboarding.selectors import answers_of_user
from rosters import selectors as roster_selectors

from .models import PlanOffer

CLEVER_PROVIDER_ID = "clever"


def email_in_use(*, email: str) -> bool:
    """Return whether any account here already uses `email` (case-insensitive)."""
    if not email:
        return False
    return (
        get_user_model().objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


@dataclass(frozen=True)
class AccountDeletion:
    """What deleting one account removes: counts only, so it can go in the audit trail."""

    user_pk: int
    classes_deleted: int = 0  # taught by this teacher alone
    classes_kept: int = 0  # co-taught: they stay for the other teachers
    students_deleted: int = 0  # in no other class
    enrollments_deleted: int = 0
    answers_deleted: int = 0
    clever_identity: bool = False
    teacher_record: bool = False  # the Clever teacher row: name, email, stored token

    def detail(self) -> str:
        """Return the counts as one line, with no name, email or token."""
        return (
            f"classes deleted: {self.classes_deleted}, co-taught classes kept: {self.classes_kept}, "
            f"students deleted: {self.students_deleted}, enrollments deleted: {self.enrollments_deleted}, "
            f"onboarding answers deleted: {self.answers_deleted}, "
            f"Clever identity: {'yes' if self.clever_identity else 'no'}, "
            f"Clever teacher record: {'yes' if self.teacher_record else 'no'}"
        )


def account_deletion_preview(*, user) -> AccountDeletion:
    """Return what deleting this account would remove now (accounts.services.user_delete)."""
    teacher = roster_selectors.teacher_for_user(user=user)
    roster = {}
    if teacher is not None:
        solo = roster_selectors.teacher_solo_sections(teacher_pk=teacher.pk)
        roster = {
            "classes_deleted": solo.count(),
            "classes_kept": roster_selectors.teacher_shared_sections(teacher_pk=teacher.pk).count(),
            "students_deleted": roster_selectors.students_only_in(sections=solo).count(),
            "enrollments_deleted": roster_selectors.enrollments_in(sections=solo).count(),
        }
    return AccountDeletion(
        user_pk=user.pk,
        answers_deleted=answers_of_user(user=user).count(),
        clever_identity=SocialAccount.objects.filter(user=user, provider=CLEVER_PROVIDER_ID).exists(),
        teacher_record=teacher is not None,
        **roster,
    )


def clever_only_accounts(*, teachers: QuerySet) -> QuerySet:
    """Return the accounts of these Clever teachers that cannot sign in with a password."""
    return get_user_model().objects.filter(teacher__in=teachers, password__startswith=UNUSABLE_PASSWORD_PREFIX)


def plan_offer_get() -> PlanOffer:
    """Return the plan message staff set in the admin, or its defaults when none is saved."""
    return PlanOffer.objects.order_by("pk").first() or PlanOffer()
