from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from rosters.selectors import teacher_for_user


@require_GET
def home(request):
    """Show the sign-in choices, or send a signed-in user to their next step."""
    if request.user.is_authenticated:
        # The onboarding gate sends teachers who have not finished to /onboarding/ first.
        return redirect("rosters:classes")
    return render(request, "home.html", {"clever_sandbox": settings.CLEVER_SANDBOX})


@require_GET
@login_required
def account(request):
    """The teacher's account: name, email, plan, and their Clever connection."""
    return render(request, "accounts/account.html", {"teacher": teacher_for_user(user=request.user)})
