"""The one writer of the audit trail: `audit_record` appends; `audit_events_delete` removes
events past their retention window (DATA_RETENTION_AUDIT_DAYS, run by privacy's purge).

Callers pass ids and counts, never names, emails or tokens; `detail` is cut to its
column's length. The client IP comes from allauth's view of the request, which honours
the trusted-proxy setting, so it is the visitor's address behind a proxy.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import AuditEvent

Action = AuditEvent.Action


def _client_ip(request: HttpRequest) -> str | None:
    """Return the visitor's address as allauth's rate limits see it (trusted proxies honoured)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no usable address: record the action without one
        return None


def audit_record(
    *,
    action: str,
    user=None,
    command: str = "",
    system: str = "",
    target_type: str = "",
    target_id: object = "",
    request: HttpRequest | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one event to the audit trail and return it.

    Who acted is `user` (a signed-in person), else `command` (a manage.py command's
    name), else `system` (a background process, e.g. "sync"). With `request`, the user
    defaults to the request's signed-in user and the client IP is recorded.
    """
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if user is not None:
        actor = f"user:{user.pk}"
    elif command:
        actor = f"command:{command}"
    else:
        actor = f"system:{system or 'unknown'}"
    return AuditEvent.objects.create(
        action=action,
        actor_user=user,
        actor=actor[:64],
        target_type=target_type[:32],
        target_id=str(target_id)[:64],
        ip=_client_ip(request) if request is not None else None,
        detail=detail[:500],
    )


def audit_events_delete(*, events: QuerySet[AuditEvent]) -> dict[str, int]:
    """Delete these events (the ones past the trail's retention window); return rows per model label."""
    return events.delete()[1]
