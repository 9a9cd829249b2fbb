"""Reads for accounts: who uses an email. (A user's Clever teacher: rosters.selectors.teacher_for_user.)"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

CLEVER_PROVIDER_ID = "clever"


def email_in_use(*, email: str) -> bool:
    """Return whether any account here already uses `email` (case-insensitive)."""
    if not email:
        return False
    return (
        get_user_model().objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )
