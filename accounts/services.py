"""Writes for accounts: Clever provisioning (merge / create), plans, sessions, demo accounts.

Every change to who a Clever identity belongs to goes through this module; the Teacher
row it brings is written by rosters (`rosters.teachers`, the one writer of that table).
Race-safety comes from database constraints (SocialAccount (provider, uid),
Teacher.clever_id, Teacher.user one-to-one, User.username), not from checking first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rosters.models import Sharing, Teacher
from rosters.selectors import teacher_for_user
from rosters.teachers import PROFILE_FIELDS, TeacherLinkedElsewhere, teacher_profile_upsert

from .clever.profile import CleverProfile
from .models import User
from .selectors import CLEVER_PROVIDER_ID, email_in_use

logger = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """A Clever identity cannot be given to this account. `user_message` is safe to show."""

    user_message = _("We could not connect your Clever account.")


class AccountHasClever(ProvisioningError):
    user_message = _(
        "That account is already connected to a Clever account, so we did not change it. "
        "Sign in to it with Clever instead, or create a new account."
    )


class CleverLinkedElsewhere(ProvisioningError):
    user_message = _(
        "This Clever account is already connected to another account here, so we did not change anything. "
        "Log in with Clever again to reach it."
    )


@dataclass(frozen=True)
class CleverAccount:
    user: User
    created: bool  # False when another request created it first
    email_withheld: bool  # Clever gave an email that another account here already uses


# --- Plans ------------------------------------------------------------------------------


def user_plan_apply(*, user: User, sharing: str) -> User:
    """Give a Clever teacher the plan their sharing earns; never downgrade.

    District-shared: premium. Clever Library: a trial of LIBRARY_TRIAL_DAYS, started once,
    only from the free plan (a trial that ran out is not restarted, a plan staff set is kept).
    """
    users = User.objects.filter(pk=user.pk)
    if sharing == Sharing.DISTRICT:
        users.exclude(plan=User.Plan.PREMIUM).update(plan=User.Plan.PREMIUM)
    else:
        trial_ends_at = timezone.now() + timedelta(days=settings.LIBRARY_TRIAL_DAYS)
        users.filter(plan=User.Plan.FREE, trial_ends_at__isnull=True).update(
            plan=User.Plan.TRIAL, trial_ends_at=trial_ends_at
        )
    user.refresh_from_db(fields=["plan", "trial_ends_at"])
    return user


# --- Sessions ---------------------------------------------------------------------------


def user_sessions_end(*, user: User) -> None:
    """Sign the user out of every session; the next `login()` starts a fresh, valid one."""
    User.objects.filter(pk=user.pk).update(session_stamp=F("session_stamp") + 1)
    user.refresh_from_db(fields=["session_stamp"])


# --- Clever provisioning ----------------------------------------------------------------


def _clever_teacher_claim(*, profile: CleverProfile, user: User) -> Teacher:
    """Have rosters insert or refresh the Teacher row of this Clever profile, linked to `user`.

    Raises CleverLinkedElsewhere (and changes nothing) when the row already belongs to another user.
    """
    try:
        return teacher_profile_upsert(
            clever_id=profile.clever_id,
            user=user,
            sharing=profile.sharing,
            **{name: getattr(profile, name) for name in PROFILE_FIELDS},
        )
    except TeacherLinkedElsewhere:
        raise CleverLinkedElsewhere(profile.clever_id) from None


def _user_name_follow(*, user: User, profile: CleverProfile) -> None:
    """Give the account the name Clever has for the teacher; a name Clever leaves blank is kept."""
    updates = {
        field: value[:150]
        for field, value in (("first_name", profile.first_name), ("last_name", profile.last_name))
        if value and getattr(user, field) != value[:150]
    }
    if updates:
        User.objects.filter(pk=user.pk).update(**updates)
        for field, value in updates.items():
            setattr(user, field, value)


@transaction.atomic
def clever_login_record(*, user: User, profile: CleverProfile) -> Teacher:
    """Refresh what Clever told us at a returning teacher's login: their Teacher row, their name and plan."""
    teacher = _clever_teacher_claim(profile=profile, user=user)
    _user_name_follow(user=user, profile=profile)
    user_plan_apply(user=user, sharing=profile.sharing)
    return teacher


def user_email_adopt(*, user: User, email: str) -> bool:
    """Make `email` the account's email when it has none and no other account uses it; return whether it did.

    Run when a teacher Clever gave no email types one in onboarding. An email the account
    already has is never replaced.
    """
    email = (email or "").strip()
    if not email or user.email:
        return False
    try:
        with transaction.atomic():
            if email_in_use(email=email):
                return False
            if not User.objects.filter(pk=user.pk, email="").update(email=email):
                return False  # an email arrived meanwhile: it stays
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    except IntegrityError:
        return False  # another account took the email at the same moment
    user.email = email
    return True


def clever_account_create(*, profile: CleverProfile) -> CleverAccount:
    """Create an account from a Clever profile, or return the one a concurrent request just created.

    The email comes along only when no account here uses it yet; a teacher without an
    email still gets an account.
    """
    email = profile.email if profile.email and not email_in_use(email=profile.email) else ""
    try:
        with transaction.atomic():
            user = get_user_model()(
                username=f"clever-{profile.clever_id}"[:150],
                first_name=profile.first_name[:150],
                last_name=profile.last_name[:150],
                email=email,
            )
            user.set_unusable_password()
            user.save()
            SocialAccount.objects.create(
                user=user, provider=CLEVER_PROVIDER_ID, uid=profile.clever_id, extra_data=profile.as_dict()
            )
            if email:
                EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
            _clever_teacher_claim(profile=profile, user=user)
            user_plan_apply(user=user, sharing=profile.sharing)
    except IntegrityError:
        winner = (
            SocialAccount.objects.select_related("user")
            .filter(provider=CLEVER_PROVIDER_ID, uid=profile.clever_id)
            .first()
        )
        if winner is None:
            raise
        logger.info("Clever id %s was provisioned by a concurrent request; using that account.", profile.clever_id)
        return CleverAccount(user=winner.user, created=False, email_withheld=False)
    return CleverAccount(user=user, created=True, email_withheld=bool(profile.email) and not email)


def clever_account_link(*, user: User, profile: CleverProfile) -> User:
    """Merge a Clever identity into an existing account whose password the teacher just proved.

    Ends the account's other sessions and returns the account as now stored (sign in with
    this one: its session hash is the new one). Raises AccountHasClever or CleverLinkedElsewhere
    (and changes nothing) when either side is already linked.
    """
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            if (
                SocialAccount.objects.filter(user=user, provider=CLEVER_PROVIDER_ID).exists()
                or teacher_for_user(user=user) is not None
            ):
                raise AccountHasClever(str(user.pk))
            if SocialAccount.objects.filter(provider=CLEVER_PROVIDER_ID, uid=profile.clever_id).exists():
                raise CleverLinkedElsewhere(profile.clever_id)
            SocialAccount.objects.create(
                user=user, provider=CLEVER_PROVIDER_ID, uid=profile.clever_id, extra_data=profile.as_dict()
            )
            _clever_teacher_claim(profile=profile, user=user)
            _user_name_follow(user=user, profile=profile)
            user_plan_apply(user=user, sharing=profile.sharing)
            user_sessions_end(user=user)
    except IntegrityError:
        # A concurrent merge or create took the Clever id (or this user) between our checks and our insert.
        raise CleverLinkedElsewhere(profile.clever_id) from None
    user.refresh_from_db()
    return user


# --- Demo data --------------------------------------------------------------------------


def demo_account_ensure(
    *, email: str, password: str, first_name: str = "", last_name: str = "", staff: bool = False
) -> tuple[User, bool]:
    """Create (or reset to its documented password) a local email/password account for demos."""
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if created:
            user = User(username=email.split("@")[0][:150] or email, email=email)
            if User.objects.filter(username=user.username).exists():
                user.username = email[:150]
        user.first_name = first_name or user.first_name
        user.last_name = last_name or user.last_name
        user.is_staff = user.is_superuser = staff
        user.is_active = True
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email__iexact=email, defaults={"email": email, "verified": True, "primary": True}
        )
    return user, created
