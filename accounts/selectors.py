"""Reads for accounts: who uses an email, who holds a Clever identity."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from rosters.models import Teacher

CLEVER_PROVIDER_ID = "clever"


def email_in_use(*, email: str) -> bool:
    """Return whether any account here already uses `email` (case-insensitive)."""
    if not email:
        return False
    return (
        get_user_model().objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


def teacher_for_user(*, user) -> Teacher | None:
    """Return the Clever teacher linked to `user`, if any."""
    if not getattr(user, "pk", None):
        return None
    return Teacher.objects.filter(user=user).first()
