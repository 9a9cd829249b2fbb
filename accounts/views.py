"""The product's own pages in accounts: the home page and the teacher's account page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from rosters.selectors import district_name, teacher_for_user

from . import selectors
from .adapter import SIGNED_OUT_OF_CLEVER_APP
from .clever.logout import clever_logout_url


@require_GET
def home(request):
    """Show the sign-in choices, or send a signed-in user to their next step."""
    if request.user.is_authenticated:
        # The onboarding gate sends teachers who have not finished to /onboarding/ first.
        return redirect("rosters:classes")
    context = {
        "clever_sandbox": settings.CLEVER_SANDBOX,
        # Just signed out after a Clever login: Clever still remembers them on this browser.
        "offer_clever_signout": request.session.pop(SIGNED_OUT_OF_CLEVER_APP, False),
        "clever_logout_url": clever_logout_url(request),
    }
    return render(request, "home.html", context)


@require_GET
@login_required
def account(request):
    """The teacher's account: name, email, plan, and their Clever connection (school and district by name)."""
    teacher = teacher_for_user(user=request.user)
    context = {
        "teacher": teacher,
        "district_name": district_name(district_id=teacher.district_id) if teacher else "",
        "plan_offer": selectors.plan_offer_get(),
    }
    return render(request, "accounts/account.html", context)
