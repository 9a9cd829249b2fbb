"""Site-wide odds and ends that belong to no app."""

from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=60 * 60 * 24)
def favicon(request):
    """Answer /favicon.ico, which browsers ask for on their own, with the static icon."""
    return redirect(static("favicon.ico"))
