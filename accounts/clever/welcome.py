"""The pages that turn a Clever identity new to us into an account: "Do you already have an account here?"

Yes: the teacher proves the existing account with its password and the Clever identity
is merged into it. No: a new account is created from the Clever profile. Either way the
teacher is then signed in the allauth way, and the account adapter's post_login syncs
their roster. The identity waits meanwhile in the session (`pending`); the decisions are
accounts' services. The OAuth views that lead here are `views`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import perform_login
from allauth.socialaccount.models import SocialAccount, SocialLogin, SocialToken
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from .. import services
from ..adapter import WELCOMED
from ..forms import CleverLinkForm
from ..selectors import CLEVER_PROVIDER_ID, email_in_use
from .logout import clever_logout_url
from .pending import PendingLogin, PendingLoginExpired, pending_login_clear, pending_login_get

logger = logging.getLogger(__name__)


def _pending(request) -> tuple[PendingLogin | None, object]:
    try:
        pending = pending_login_get(request)
    except PendingLoginExpired:
        minutes = max(1, round(settings.CLEVER_PENDING_LOGIN_MAX_AGE / 60))
        return None, render(request, "socialaccount/clever/expired.html", {"minutes": minutes}, status=HTTPStatus.GONE)
    if pending is None:
        messages.info(request, _("Log in with Clever to continue."))
        return None, redirect("home")
    return pending, None


def _render_welcome(
    request, pending: PendingLogin, *, form: CleverLinkForm | None = None, error: str = "", status: int = HTTPStatus.OK
):
    """The question, with the likely answer first: "create" unless an account here already has the Clever email."""
    profile = pending.profile
    email_taken = email_in_use(email=profile.email)
    if form is None:
        # The email is offered only when it is an account's here: otherwise it would only invite a wrong guess.
        form = CleverLinkForm(request=request, initial={"email": profile.email} if email_taken else {})
    context = {
        "profile": profile,
        "form": form,
        "error": error,
        "email_taken": email_taken,
        "is_library": profile.sharing == "library",
        "trial_days": settings.LIBRARY_TRIAL_DAYS,
    }
    return render(request, "socialaccount/clever/welcome.html", context, status=status)


def _sign_in(request, *, user, pending: PendingLogin):
    """Sign the teacher in as `user` the allauth way; the account adapter's post_login then syncs."""
    account = SocialAccount.objects.get(user=user, provider=CLEVER_PROVIDER_ID)
    sociallogin = SocialLogin(user=user, account=account, provider=account.get_provider(request))
    sociallogin.token = SocialToken(account=account, token=pending.token)
    next_url = pending.next_url
    if next_url and not get_account_adapter(request).is_safe_url(next_url):
        next_url = ""
    setattr(request, WELCOMED, True)  # our own message says who they are now; no "Successfully signed in"
    return perform_login(
        request,
        user,
        email_verification=account_settings.EmailVerificationMethod.NONE,
        redirect_url=next_url or None,
        signal_kwargs={"sociallogin": sociallogin},
    )


@require_GET
def welcome(request):
    """Ask a teacher new to us whether they already have an account here."""
    pending, response = _pending(request)
    if response:
        return response
    return _render_welcome(request, pending)


@sensitive_post_parameters("password")
@require_POST
def link(request):
    """Yes: prove the existing account with its password, then merge the Clever identity into it."""
    pending, response = _pending(request)
    if response:
        return response
    form = CleverLinkForm(request.POST, request=request)
    if not form.is_valid():
        for code in ("too_many_login_attempts", "invalid_login", "inactive"):
            if form.has_error(NON_FIELD_ERRORS, code):
                services.clever_merge_refusal_record(
                    request=request,
                    clever_id=pending.profile.clever_id,
                    reason=code,
                    locked_out=code == "too_many_login_attempts",
                )
        return _render_welcome(request, pending, form=form, status=HTTPStatus.BAD_REQUEST)
    try:
        user = services.clever_account_link(user=form.user, profile=pending.profile, request=request)
    except services.ProvisioningError as exc:
        logger.info("Clever merge refused: %s", type(exc).__name__)  # the service recorded it in the audit trail
        form.add_error(None, exc.user_message)
        return _render_welcome(request, pending, form=form, status=exc.http_status)
    pending_login_clear(request)
    messages.success(
        request,
        _(
            "Your Clever account is now connected to this account (%(email)s): Log in with Clever brings you "
            "here from now on. For your safety, this account was signed out everywhere else."
        )
        % {"email": user.email},
    )
    return _sign_in(request, user=user, pending=pending)


@require_POST
def create(request):
    """No: create a new account from the Clever profile."""
    pending, response = _pending(request)
    if response:
        return response
    try:
        result = services.clever_account_create(profile=pending.profile, request=request)
    except services.ProvisioningError as exc:
        return _render_welcome(request, pending, error=exc.user_message, status=HTTPStatus.CONFLICT)
    pending_login_clear(request)
    if result.email_withheld:
        messages.warning(
            request,
            _(
                "Welcome! We created your account from your Clever profile. Another account here already "
                "uses %(email)s, so your new account has no email address. If that other account is yours, "
                "ask us to move your Clever sign-in to it."
            )
            % {"email": pending.profile.email},
        )
    elif result.created:
        messages.success(request, _("Welcome! We created your account from your Clever profile."))
    else:
        messages.success(request, _("Welcome back! Your account was already created."))
    return _sign_in(request, user=result.user, pending=pending)


@require_POST
def cancel(request):
    """Not you: forget the Clever identity waiting here and sign this browser out of Clever."""
    pending_login_clear(request)
    messages.info(request, _("We forgot that Clever sign-in; nothing was connected or created."))
    return redirect(clever_logout_url(request))
