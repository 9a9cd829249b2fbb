"""System checks: the sandbox never runs in production, and the real Clever needs credentials."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.translation import gettext as _


@register()
def sandbox_configuration(app_configs=None, **kwargs) -> list[Error]:
    """Refuse the sandbox with debug off, and the real Clever without credentials."""
    errors = []
    sandbox_on = getattr(settings, "CLEVER_SANDBOX", False)
    if sandbox_on and not settings.DEBUG:
        errors.append(
            Error(
                _(
                    "The Clever sandbox is on in a production configuration (DJANGO_DEBUG is off). "
                    "It hands out tokens to anyone and serves made-up student data."
                ),
                hint=_(
                    "Set CLEVER_SANDBOX=false and set CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET "
                    "from the Clever dashboard, or turn DJANGO_DEBUG on for development."
                ),
                id="sandbox.E001",
            )
        )
    if not sandbox_on and not (
        getattr(settings, "CLEVER_CLIENT_ID", "") and getattr(settings, "CLEVER_CLIENT_SECRET", "")
    ):
        errors.append(
            Error(
                _(
                    "The real Clever is configured without credentials: "
                    "CLEVER_CLIENT_ID or CLEVER_CLIENT_SECRET is empty."
                ),
                hint=_("Set both from the Clever dashboard, or turn CLEVER_SANDBOX on for development."),
                id="sandbox.E002",
            )
        )
    if sandbox_on and getattr(settings, "CLEVER_SANDBOX_DATA", ""):
        errors += _roster_errors()
    return errors


def _roster_errors() -> list[Error]:
    from .roster import RosterError
    from .state import load_roster_file

    try:
        load_roster_file(settings.CLEVER_SANDBOX_DATA)
    except RosterError as exc:
        return [
            Error(
                str(exc),
                hint=_("Fix the file named by CLEVER_SANDBOX_DATA, or leave it empty for the demo data."),
                id="sandbox.E003",
            )
        ]
    return []
