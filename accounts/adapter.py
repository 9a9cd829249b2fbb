"""django-allauth adapters: where a Clever login turns into a signed-in teacher.

Settings: ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter",
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter".
"""

from __future__ import annotations

import logging
import smtplib
from http import HTTPStatus

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from rosters.jobs import teacher_login_sync
from rosters.selectors import teacher_for_user

from . import services
from .clever.pending import pending_login_clear, pending_login_stash
from .clever.profile import CleverProfile, profile_with_school_name
from .forms import INVALID_LOGIN_MESSAGE
from .selectors import CLEVER_PROVIDER_ID

# Set on the request by a page that says its own welcome (accounts.clever.welcome), so
# allauth's "Successfully signed in as ..." does not stack a second message under it.
WELCOMED = "accounts_welcomed"
# Set in the session at sign-out for a teacher who signed in with Clever: the home page then
# offers "Also sign out of Clever" (Clever still remembers them on this browser).
SIGNED_OUT_OF_CLEVER_APP = "accounts_signed_out_clever"

logger = logging.getLogger(__name__)


def _is_clever(sociallogin) -> bool:
    return sociallogin is not None and sociallogin.account.provider == CLEVER_PROVIDER_ID


class AccountAdapter(DefaultAccountAdapter):
    # One wording for a wrong email or password, here and on the Clever merge form.
    error_messages = {**DefaultAccountAdapter.error_messages, "email_password_mismatch": INVALID_LOGIN_MESSAGE}

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        """Run for each of allauth's messages; the sign-in one is dropped after a welcome of our own."""
        if message_template == "account/messages/logged_in.txt" and getattr(request, WELCOMED, False):
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def logout(self, request: HttpRequest) -> None:
        """Run when anyone signs out; remember for the next page whether they had come with Clever."""
        had_clever = teacher_for_user(user=request.user) is not None
        super().logout(request)
        if had_clever:
            request.session[SIGNED_OUT_OF_CLEVER_APP] = True

    def send_mail(self, template_prefix: str, email: str, context_data: dict) -> None:
        """Run whenever allauth sends an email (password reset, email confirmation).

        A mail server that refuses or cannot be reached gets the person a page that says
        so, never a 500; the same page whether or not the address has an account here.
        """
        try:
            super().send_mail(template_prefix, email, context_data)
        except (smtplib.SMTPException, OSError) as exc:
            logger.error("Could not send the %s email: %s", template_prefix.rsplit("/", 1)[-1], type(exc).__name__)
            raise ImmediateHttpResponse(
                render(context.request, "account/email_unavailable.html", status=HTTPStatus.SERVICE_UNAVAILABLE)
            ) from None

    def post_login(self, request: HttpRequest, user, **kwargs):
        """Run right after anyone signs in (password or Clever). After a Clever login (existing,
        created or merged account), keep the teacher's fresh token and sync their roster;
        that never fails the login."""
        response = super().post_login(request, user, **kwargs)
        pending_login_clear(request)  # a Clever identity left waiting is not for this session any more
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if _is_clever(sociallogin) and sociallogin.token:
            teacher = teacher_for_user(user=user)
            if teacher is not None:
                teacher_login_sync(teacher=teacher, token=sociallogin.token.token)
        return response


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        """Run once Clever has said who is signing in, before allauth signs them in or up.

        A Clever id already linked: refresh its Teacher row and plan, and let allauth sign in.
        A new one: keep it aside (encrypted, in the session) and ask "Do you already have an
        account here?". Email is never used to find an account.
        """
        if not _is_clever(sociallogin):
            return
        pending_login_clear(request)
        profile = CleverProfile.from_dict(sociallogin.account.extra_data)
        if sociallogin.is_existing:
            try:
                services.clever_login_record(user=sociallogin.user, profile=profile)
            except services.ProvisioningError as exc:
                raise ImmediateHttpResponse(
                    render(
                        request,
                        "socialaccount/clever/refused.html",
                        {"message": exc.user_message},
                        status=exc.http_status,
                    )
                ) from None
            return
        token = sociallogin.token.token if sociallogin.token else ""
        pending_login_stash(
            request,
            profile=profile_with_school_name(profile, token=token),
            token=token,
            next_url=sociallogin.get_redirect_url(request) or "",
        )
        raise ImmediateHttpResponse(redirect("clever_welcome"))

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin) -> bool:
        # New Clever identities never reach allauth's signup: pre_social_login answers them.
        return False

    def validate_disconnect(self, account, accounts) -> None:
        """Run before a user removes a connected account on /accounts/3rdparty/."""
        if account.provider == CLEVER_PROVIDER_ID:
            raise ValidationError(_("Your Clever connection cannot be removed here. Please contact us."))
        super().validate_disconnect(account, accounts)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """Run when a social login fails before pre_social_login (state, cancel, Clever errors)."""
        logger.warning(
            "Social login failed: provider=%s error=%s %s",
            getattr(provider, "id", provider),
            error,
            getattr(exception, "args", [""])[0] if exception else "",
        )
        super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
