from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: a teacher (with or without Clever) or staff."""

    class Plan(models.TextChoices):
        FREE = "free", _("Free")
        TRIAL = "trial", _("Free trial")
        PREMIUM = "premium", _("Premium")

    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, default=Plan.FREE)
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    # Part of the session hash: bumping it (accounts.services.user_sessions_end) signs the
    # user out of every other session, as a password change does.
    session_stamp = models.PositiveIntegerField(_("session stamp"), default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.email or self.username

    def get_session_auth_hash(self):
        """Return an HMAC of the password hash and the session stamp."""
        return self._session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, *, secret):
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_stamp}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def trial_active(self) -> bool:
        return self.plan == self.Plan.TRIAL and self.trial_ends_at is not None and self.trial_ends_at > timezone.now()


class PlanOffer(models.Model):
    """What a teacher reads about plans on their account page, and where its button leads.

    One row, which staff edit in the admin (accounts.admin): what changes when a Library
    teacher's free trial ends, and the call to action that follows it.
    """

    trial_ended_text = models.TextField(
        _("what changes when a free trial ends"),
        default=_(
            "Your account, your classes and your students stay here, and you can still sign in. Premium "
            "features stop until you upgrade. If your school or district shares Classroom with you through "
            "Clever, you get Premium at your next login."
        ),
        help_text=_("Shown to Library teachers before and after their trial ends. Say what really changes."),
    )
    action_text = models.CharField(
        _("button text"), max_length=80, default=_("See plans and prices"), help_text=_("For example “Upgrade”.")
    )
    action_url = models.URLField(
        _("button link"),
        blank=True,
        help_text=_("Where the button leads, e.g. your pricing or contact page. Empty: no button is shown."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("plan message")
        verbose_name_plural = _("plan messages")

    def __str__(self):
        return str(_("Plan message"))
