"""Log in with Clever: the OAuth2 adapter and views, in allauth's shape for a provider.

allauth finds `oauth2_login` and `oauth2_callback` here (`<provider package>.views`).
Hosts come from settings.CLEVER_OAUTH_BASE / CLEVER_API_BASE at request time; every HTTP
call goes through `rosters.clever` (timeouts, typed errors, no retries for the code
exchange). What happens to a Clever identity new to us is `welcome`'s pages.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.providers.base import AuthError, AuthProcess, ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Client
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.shortcuts import render
from django.utils.http import urlencode

from rosters.clever import CleverClient, CleverError, exchange_code
from rosters.jobs import fresh_district_teacher

from ..selectors import CLEVER_PROVIDER_ID
from .logout import clever_logout_url
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
        """Ask Clever who this is (/v2.1/me, then the teacher record); only teachers go further.

        A teacher their district's sync read moments ago needs no teacher record: the sync's is used.
        """
        try:
            with CleverClient(token=token.token) as client:
                me = client.me()
                if me.type != "teacher":
                    logger.info("Clever login refused for a %s account.", me.type or "typeless")
                    raise ImmediateHttpResponse(
                        render(
                            request,
                            "socialaccount/clever/teachers_only.html",
                            {"user_type": me.type, "clever_logout_url": clever_logout_url(request)},
                            status=HTTPStatus.FORBIDDEN,
                        )
                    )
                teacher = fresh_district_teacher(clever_id=me.id, district_id=me.district_id) or client.teacher(me.id)
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
