"""
The audit trail: one append-only row per action that touches personal data.

A row says when, who (a signed-in user, or a named command or background process),
what action, on what kind of record and which id, the client's IP for web actions,
and a short detail. It never holds a name, an email or a token: a person is named by
their numeric id (and, for Clever logins, their Clever id), so the trail outlives their
deletion without their name; those ids and the IP stay until the retention window. Rows
are written by `audit.services.audit_record` only, shown read-only in the admin, and
deleted only when they pass their own retention window.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CLEVER_ACCOUNT_CREATED = "clever_account_created", _("Clever account created")
        CLEVER_MERGE_SUCCEEDED = "clever_merge_succeeded", _("Clever identity merged into an account")
        CLEVER_MERGE_REFUSED = "clever_merge_refused", _("Clever merge refused")
        CLEVER_MERGE_LOCKED_OUT = "clever_merge_locked_out", _("Clever merge locked out (too many tries)")
        USER_DELETED = "user_deleted", _("Account and its data deleted")
        CLEVER_IDENTITY_REMOVED = "clever_identity_removed", _("Clever identity and its data removed from an account")
        DATA_PURGED = "data_purged", _("Expired data purged")
        ONBOARDING_EXPORTED = "onboarding_exported", _("Onboarding answers exported")
        ONBOARDING_RESET = "onboarding_reset", _("Onboarding reset")
        PLAN_CHANGED = "plan_changed", _("Plan changed by staff")
        DISTRICT_TOKENS_IMPORTED = "district_tokens_imported", _("District tokens imported")
        DISTRICT_DISCONNECTED = "district_disconnected", _("District disconnected the app")
        DISTRICT_RECONNECTED = "district_reconnected", _("District reconnected")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # The signed-in person who acted; kept as a plain id too, so the row still says who
    # after that account is deleted (SET_NULL empties the link, not `actor`).
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # "user:42", "command:purge_data", "system:login" — never a name or an email.
    actor = models.CharField(_("who"), max_length=64)
    action = models.CharField(_("action"), max_length=48, choices=Action.choices)
    target_type = models.CharField(_("target kind"), max_length=32, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["action", "-at"]), models.Index(fields=["actor", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"
