"""Deploy checks (`manage.py check --deploy`): what signing in needs in production.

Password resets need a mail server (EMAIL_URL), and the failed-password limits of the
sign-in, merge and admin pages need a cache every web process shares (CACHE_URL). With
DJANGO_DEBUG off the settings already refuse a per-process cache; these checks say so
for any configuration `check --deploy` is run on. See docs/deploying.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

# Backends that deliver nothing: fine for development, not for password resets.
UNDELIVERED_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
)


@register(Tags.security, deploy=True)
def mail_configured(app_configs=None, **kwargs) -> list:
    """Ask for EMAIL_URL and DEFAULT_FROM_EMAIL: without them password resets cannot reach anyone."""
    messages = []
    if not getattr(settings, "EMAIL_CONFIGURED", True):
        messages.append(
            Error(
                "No mail server is configured: password-reset emails would fail (EMAIL_URL is not set).",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587 (see docs/deploying.md).",
                id="accounts.E001",
            )
        )
    elif settings.EMAIL_BACKEND in UNDELIVERED_EMAIL_BACKENDS:
        messages.append(
            Warning(
                f"EMAIL_URL chooses {settings.EMAIL_BACKEND}, which delivers no email.",
                hint="Set EMAIL_URL to your mail server, e.g. smtp+tls://user:password@smtp.example.org:587.",
                id="accounts.W001",
            )
        )
    if settings.DEFAULT_FROM_EMAIL == "webmaster@localhost":
        messages.append(
            Warning(
                "DEFAULT_FROM_EMAIL is Django's placeholder webmaster@localhost; mail servers refuse or bin it.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your domain, e.g. classroom@example.org.",
                id="accounts.W002",
            )
        )
    return messages


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache(app_configs=None, **kwargs) -> list:
    """Refuse a per-process cache: each web process would count failed passwords on its own."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in settings.PER_PROCESS_CACHES:  # the backends the settings refuse with debug off
        return [
            Error(
                f"The cache ({backend}) is not shared between web processes, so each counts failed "
                "passwords on its own and the sign-in limits multiply by the number of processes.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://host:6379/1.",
                id="accounts.E002",
            )
        ]
    return []
