"""The data policy page, with the retention windows this site actually runs with."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .services import retention_windows


@require_GET
def policy(request):
    """The data policy (docs/privacy.md says the same for operators): what we keep, why, for how long."""
    context = {
        "windows": retention_windows(),
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "trial_days": settings.LIBRARY_TRIAL_DAYS,
    }
    return render(request, "privacy/policy.html", context)
