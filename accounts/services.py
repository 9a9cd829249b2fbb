"""Writes for accounts: Clever provisioning (merge / create), plans, sessions, deleting an
account and its data, demo accounts.

Every change to who a Clever identity belongs to goes through this module; the Teacher
row it brings is written by rosters (`rosters.teachers`, the one writer of that table).
Race-safety comes from database constraints (SocialAccount (provider, uid),
Teacher.clever_id, Teacher.user one-to-one, User.username), not from checking first.
Creations, merges (and their refusals) and deletions are recorded in the audit trail.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record
from onboarding.models import Onboarding
from rosters.models import Sharing, Teacher
from rosters.selectors import teacher_for_user
from rosters.sync.rows import teacher_classes_release
from rosters.teachers import PROFILE_FIELDS, TeacherLinkedElsewhere, teacher_profile_upsert, teachers_delete

from .clever.profile import CleverProfile
from .models import User
from .selectors import CLEVER_PROVIDER_ID, AccountDeletion, account_deletion_preview, email_in_use

logger = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """A Clever identity cannot be given to this account. `user_message` is safe to show."""

    user_message = _("We could not connect your Clever account.")
    http_status = HTTPStatus.CONFLICT


class StaffAccount(ProvisioningError):
    """Staff and superuser accounts are never linked to, or signed in with, a Clever identity.

    Clever does not verify emails, and a Clever account is not a strong enough key for the admin.
    """

    user_message = _(
        "That is a staff account: it cannot be connected to Clever, and Log in with Clever does not open it. "
        "Staff sign in with their email and password. For your classes, use a teacher account."
    )
    http_status = HTTPStatus.FORBIDDEN


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


def _refuse_staff(user: User) -> None:
    if user.is_staff or user.is_superuser:
        raise StaffAccount(str(user.pk))


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
    """Refresh what Clever told us at a returning teacher's login: their Teacher row, their name and plan.

    Raises StaffAccount (and changes nothing) when the account has since been made staff.
    """
    _refuse_staff(user)
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


def clever_account_create(*, profile: CleverProfile, request: HttpRequest | None = None) -> CleverAccount:
    """Create an account from a Clever profile, or return the one a concurrent request just created.

    The email comes along only when no account here uses it yet; a teacher without an
    email still gets an account. A creation is recorded in the audit trail (from `request`'s address).
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
            _clever_identity_record(
                AuditEvent.Action.CLEVER_ACCOUNT_CREATED, user=user, profile=profile, request=request
            )
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


def clever_account_link(*, user: User, profile: CleverProfile, request: HttpRequest | None = None) -> User:
    """Merge a Clever identity into an existing account whose password the teacher just proved.

    Ends the account's other sessions and returns the account as now stored (sign in with
    this one: its session hash is the new one). Raises StaffAccount for a staff or superuser
    account, AccountHasClever or CleverLinkedElsewhere when either side is already linked;
    each changes nothing but the audit trail. Success and refusal are recorded there.
    """
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            _refuse_staff(user)
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
            _clever_identity_record(
                AuditEvent.Action.CLEVER_MERGE_SUCCEEDED, user=user, profile=profile, request=request
            )
    except IntegrityError:
        # A concurrent merge or create took the Clever id (or this user) between our checks and our insert.
        clever_merge_refusal_record(
            request=request, clever_id=profile.clever_id, reason=CleverLinkedElsewhere.__name__, user=user
        )
        raise CleverLinkedElsewhere(profile.clever_id) from None
    except ProvisioningError as exc:
        clever_merge_refusal_record(request=request, clever_id=profile.clever_id, reason=type(exc).__name__, user=user)
        raise
    user.refresh_from_db()
    return user


def _clever_identity_record(action: str, *, user: User, profile: CleverProfile, request: HttpRequest | None) -> None:
    """Record that a Clever identity now belongs to `user` (created or merged), by ids only."""
    audit_record(
        action=action,
        user=user,
        target_type="user",
        target_id=user.pk,
        request=request,
        detail=f"Clever {profile.sharing} teacher {profile.clever_id}",
    )


def clever_merge_refusal_record(
    *, request: HttpRequest | None, clever_id: str, reason: str, user: User | None = None, locked_out: bool = False
) -> None:
    """Record in the audit trail a merge into an existing account that did not happen, and why.

    `reason`: a short code (a wrong password, the account already has Clever, ...), never
    the email that was typed. `user`: the account, when the password proved it.
    """
    audit_record(
        action=AuditEvent.Action.CLEVER_MERGE_LOCKED_OUT if locked_out else AuditEvent.Action.CLEVER_MERGE_REFUSED,
        system="clever_login",
        target_type="user" if user is not None else "clever_identity",
        target_id=user.pk if user is not None else clever_id,
        request=request,
        detail=f"{reason}; Clever teacher {clever_id}",
    )


# --- Deleting an account ------------------------------------------------------------------


def user_delete(
    *, user: User, request: HttpRequest | None = None, command: str = "", now: datetime | None = None
) -> AccountDeletion:
    """Delete an account and everything only it held; return what went, recorded in the audit trail.

    Goes: the user, their Clever identity and email addresses, their Clever teacher row
    (name, email, stored token) with its class links, sync runs and jobs, their onboarding
    answers, the classes only they teach and the students in no other class (docs/privacy.md).
    A co-taught class stays for its other teachers. Who asked: `request` (a web action: the
    signed-in person and their address) or `command`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        deletion = _user_data_release(user=user, now=now)
        # Before the delete: the event may name the person deleting their own account.
        audit_record(
            action=AuditEvent.Action.USER_DELETED,
            command=command,
            system="" if command else "account_deletion",
            target_type="user",
            target_id=user.pk,
            request=request,
            detail=deletion.detail(),
        )
        user._data_released = True  # accounts.signals has nothing left to do
        user.delete()
    return deletion


def user_delete_unattended(*, user: User) -> None:
    """Do what user_delete does for an account deleted some other way (the shell, a queryset's delete()).

    Run by accounts.signals inside Django's delete, just before the user's row goes.
    """
    deletion = _user_data_release(user=user, now=timezone.now())
    audit_record(
        action=AuditEvent.Action.USER_DELETED,
        system="direct_delete",
        target_type="user",
        target_id=user.pk,
        detail=deletion.detail(),
    )


def _user_data_release(*, user: User, now: datetime) -> AccountDeletion:
    """Delete what goes with the account but is not deleted with its row; return the counts.

    Django's cascade then takes the rest: the Teacher row, the Clever identity, email
    addresses and onboarding answers.
    """
    preview = account_deletion_preview(user=user)
    teacher = teacher_for_user(user=user)
    released = teacher_classes_release(teacher_pk=teacher.pk, now=now) if teacher is not None else {}
    _admin_history_forget(user=user, teacher=teacher)
    return _deletion_done(preview, released=released)


def _deletion_done(preview: AccountDeletion, *, released: dict[str, int], answers: bool = True) -> AccountDeletion:
    """Return the preview with the rows the release actually deleted (a sync may have changed them since)."""
    return dataclasses.replace(
        preview,
        classes_deleted=released.get("rosters.Section", 0),
        students_deleted=released.get("rosters.Student", 0),
        enrollments_deleted=released.get("rosters.Enrollment", 0),
        answers_deleted=preview.answers_deleted if answers else 0,
    )


def _admin_history_forget(*, user: User, teacher: Teacher | None) -> None:
    """Replace the name the admin's history shows for this account and what goes with it by an id.

    The admin writes each object's name (`object_repr`) into its history, and keeps the
    entries after the object is gone; the entries stay, with a number instead of the name.
    """
    objects = [(User, [user.pk]), (Teacher, [teacher.pk] if teacher else [])]
    objects.append((Onboarding, list(Onboarding.objects.filter(user=user).values_list("pk", flat=True))))
    objects.append((SocialAccount, list(SocialAccount.objects.filter(user=user).values_list("pk", flat=True))))
    objects.append((EmailAddress, list(EmailAddress.objects.filter(user=user).values_list("pk", flat=True))))
    for model, pks in objects:
        content_type = ContentType.objects.get_for_model(model)
        for pk in pks:
            LogEntry.objects.filter(content_type=content_type, object_id=str(pk)).update(
                object_repr=f"{model._meta.verbose_name} #{pk}"
            )


def clever_identity_remove(*, user: User, command: str = "", now: datetime | None = None) -> AccountDeletion:
    """Take a Clever identity and its teacher data off an account that stays (it has a password).

    For a disconnected district's teacher whose account is also their own: their Clever
    identity, teacher row (name, email, token) and the classes only they teach go; the
    account, its answers and its password stay. Recorded in the audit trail.
    """
    now = now or timezone.now()
    with transaction.atomic():
        preview = account_deletion_preview(user=user)
        teacher = teacher_for_user(user=user)
        released = {}
        if teacher is not None:
            released = teacher_classes_release(teacher_pk=teacher.pk, now=now)
            teachers_delete(teachers=Teacher.objects.filter(pk=teacher.pk))
        SocialAccount.objects.filter(user=user, provider=CLEVER_PROVIDER_ID).delete()
        removal = _deletion_done(preview, released=released, answers=False)  # the answers stay with the account
        audit_record(
            action=AuditEvent.Action.CLEVER_IDENTITY_REMOVED,
            command=command,
            system="" if command else "account_deletion",
            target_type="user",
            target_id=user.pk,
            detail=removal.detail(),
        )
    return removal


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
