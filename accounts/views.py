from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rosters.selectors import teacher_for_user

from . import services
from .forms import AccountDeleteForm
from .selectors import account_deletion_preview


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
    context = {"form": form, "deletion": account_deletion_preview(user=request.user)}
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(request, "accounts/account_delete.html", context, status=status)
