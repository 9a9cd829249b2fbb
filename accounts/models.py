from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: a teacher (with or without Clever) or staff."""

    class Plan(models.TextChoices):
        FREE = "free", _("Free")
        TRIAL = "trial", _("Free trial")
        PREMIUM = "premium", _("Premium")

    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, default=Plan.FREE)
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.email or self.username

    @property
    def trial_active(self) -> bool:
        return self.plan == self.Plan.TRIAL and self.trial_ends_at is not None and self.trial_ends_at > timezone.now()
