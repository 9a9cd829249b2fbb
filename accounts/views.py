"""The product's own pages in accounts: the home page and the teacher's account page."""

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rosters.selectors import district_name, teacher_for_user

from . import selectors, services
from .adapter import SIGNED_OUT_OF_CLEVER_APP
from .clever.logout import clever_logout_url
from .forms import AccountDeleteForm


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


@require_http_methods(["GET", "POST"])
@login_required
def account_delete(request):
    """Delete my account: what goes, a typed confirmation; then it is deleted and the person signed out."""
    if request.user.is_staff:
        messages.error(request, _("A staff account is deleted by another administrator, in the admin."))
        return redirect("accounts:account")
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.user_delete(user=request.user, request=request)
        logout(request)
        messages.success(
            request,
            _(
                "Your account and its data were deleted, and you were signed out. If your district still "
                "shares this app with you, logging in with Clever again would start a new account."
            ),
        )
        return redirect("home")
    teacher = teacher_for_user(user=request.user)
    context = {
        "form": form,
        "deletion": selectors.account_deletion_preview(user=request.user),
        "district_shared": teacher is not None and bool(teacher.district_id),
    }
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(request, "accounts/account_delete.html", context, status=status)
