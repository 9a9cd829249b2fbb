"""Reads for accounts: who uses an email, the plan message.

A user's Clever teacher is read with rosters.selectors.teacher_for_user.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

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


def plan_offer_get() -> PlanOffer:
    """Return the plan message staff set in the admin, or its defaults when none is saved."""
    return PlanOffer.objects.order_by("pk").first() or PlanOffer()
