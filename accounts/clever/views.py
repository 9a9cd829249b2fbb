"""Log in with Clever: the OAuth views (allauth's shape) and the pages that provision a new Clever identity.

Hosts come from settings.CLEVER_OAUTH_BASE / CLEVER_API_BASE at request time; every HTTP
call goes through `rosters.clever` (timeouts, typed errors, no retries for the code exchange).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import perform_login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.models import SocialAccount, SocialLogin, SocialToken
from allauth.socialaccount.providers.base import AuthError, AuthProcess, ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Client
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rosters.clever import CleverClient, CleverError, exchange_code

from .. import services
from ..forms import CleverLinkForm
from ..selectors import CLEVER_PROVIDER_ID, email_in_use
from .pending import PendingLogin, PendingLoginExpired, pending_login_clear, pending_login_get
from .profile import CleverProfile

logger = logging.getLogger(__name__)

# Clever ids are 24 hex digits; accept any short plain token so a sandbox's ids pass too.
_DISTRICT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class CleverLoginError(ProviderException):
    """Clever failed us during a login; `user_message` is safe to show (never a token or code)."""

    def __init__(self, error: CleverError):
        self.user_message = error.user_message
        # Only the kind and status: Clever's own error text could quote the code we sent.
        super().__init__(f"{type(error).__name__} (HTTP {error.status or '-'})")


class CleverOAuth2Client(OAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params) -> str:
        # Extra parameters (district_id, ...) never override the ones that make the login ours.
        params = dict(extra_params)
        params.update(response_type="code", client_id=self.consumer_key, redirect_uri=self.callback_url)
        if scope:
            params["scope"] = self.scope_delimiter.join(scope)
        if self.state:
            params["state"] = self.state
        return f"{authorization_url}?{urlencode(params)}"

    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        """Exchange the code through rosters.clever (HTTP Basic, a timeout, never retried)."""
        try:
            token = exchange_code(
                code=code,
                redirect_uri=self.callback_url,
                client_id=self.consumer_key,
                client_secret=self.consumer_secret,
            )
        except CleverError as exc:
            raise CleverLoginError(exc) from None
        return {"access_token": token.access_token, "token_type": token.token_type}


class CleverOAuth2Adapter(OAuth2Adapter):
    provider_id = CLEVER_PROVIDER_ID
    client_class = CleverOAuth2Client

    @property
    def authorize_url(self) -> str:
        return f"{settings.CLEVER_OAUTH_BASE}/oauth/authorize"

    @property
    def access_token_url(self) -> str:
        return f"{settings.CLEVER_OAUTH_BASE}/oauth/tokens"

    def complete_login(self, request, app, token, **kwargs):
        """Ask Clever who this is (/v2.1/me, then the teacher record); only teachers go further."""
        try:
            with CleverClient(token=token.token) as client:
                me = client.me()
                if me.type != "teacher":
                    logger.info("Clever login refused for a %s account.", me.type or "typeless")
                    raise ImmediateHttpResponse(
                        render(
                            request,
                            "socialaccount/clever/teachers_only.html",
                            {"user_type": me.type},
                            status=HTTPStatus.FORBIDDEN,
                        )
                    )
                teacher = client.teacher(me.id)
        except CleverError as exc:
            raise CleverLoginError(exc) from None
        profile = CleverProfile.from_clever(me=me, teacher=teacher)
        return self.get_provider().sociallogin_from_response(request, profile.as_dict())


class CleverCallbackView(OAuth2CallbackView):
    def dispatch(self, request, *args, **kwargs):
        provider = self.adapter.get_provider()
        if request.GET.get("error"):
            return self._refused(request, provider)
        if request.GET.get("code") and not request.GET.get("state"):
            return self._restart(request, provider)
        return super().dispatch(request, *args, **kwargs)

    def _refused(self, request, provider):
        """Clever sent an error (the teacher cancelled, most often): show it, exchange nothing."""
        state_id = request.GET.get("state")
        if state_id:
            statekit.unstash_state(request, provider_id=provider.sub_id, state_id=state_id)
        cancelled = request.GET.get("error") == self.adapter.login_cancelled_error
        error = AuthError.CANCELLED if cancelled else AuthError.UNKNOWN
        return render_authentication_error(request, provider, error=error)

    def _restart(self, request, provider):
        """A login Clever started (Portal, Library): never exchange that code; ask again with our own state."""
        auth_params = provider.get_auth_params()
        district_id = request.GET.get("district_id", "")
        if _DISTRICT_ID.fullmatch(district_id):
            auth_params["district_id"] = district_id
        return provider.redirect(request, process=AuthProcess.LOGIN, auth_params=auth_params)


oauth2_login = OAuth2LoginView.adapter_view(CleverOAuth2Adapter)
oauth2_callback = CleverCallbackView.adapter_view(CleverOAuth2Adapter)


# --- A new Clever identity: "Do you already have an account here?" -----------------------


def _pending(request) -> tuple[PendingLogin | None, object]:
    try:
        pending = pending_login_get(request)
    except PendingLoginExpired:
        return None, render(request, "socialaccount/clever/expired.html", status=HTTPStatus.GONE)
    if pending is None:
        messages.info(request, _("Log in with Clever to continue."))
        return None, redirect("home")
    return pending, None


def _render_welcome(request, pending: PendingLogin, *, form: CleverLinkForm, status: int = HTTPStatus.OK):
    profile = pending.profile
    context = {
        "profile": profile,
        "form": form,
        "email_taken": email_in_use(email=profile.email),
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
    form = CleverLinkForm(request=request, initial={"email": pending.profile.email})
    return _render_welcome(request, pending, form=form)


@require_POST
def link(request):
    """Yes: prove the existing account with its password, then merge the Clever identity into it."""
    pending, response = _pending(request)
    if response:
        return response
    form = CleverLinkForm(request.POST, request=request)
    if not form.is_valid():
        return _render_welcome(request, pending, form=form, status=HTTPStatus.BAD_REQUEST)
    try:
        user = services.clever_account_link(user=form.user, profile=pending.profile)
    except services.ProvisioningError as exc:
        logger.info("Clever merge refused: %s", type(exc).__name__)
        form.add_error(None, exc.user_message)
        return _render_welcome(request, pending, form=form, status=HTTPStatus.CONFLICT)
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
        result = services.clever_account_create(profile=pending.profile)
    except services.ProvisioningError as exc:
        form = CleverLinkForm(request=request, initial={"email": pending.profile.email})
        form.add_error(None, exc.user_message)
        return _render_welcome(request, pending, form=form, status=HTTPStatus.CONFLICT)
    pending_login_clear(request)
    if result.created:
        messages.success(request, _("Welcome! We created your account from your Clever profile."))
    if result.email_withheld:
        messages.warning(
            request,
            _(
                "Another account here already uses %(email)s, so your new account has no email address. "
                "If that other account is yours, ask us to move your Clever sign-in to it."
            )
            % {"email": pending.profile.email},
        )
    return _sign_in(request, user=result.user, pending=pending)
