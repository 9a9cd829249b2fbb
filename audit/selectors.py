"""Reads of the audit trail."""

from datetime import datetime

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events_before(*, cutoff: datetime) -> QuerySet[AuditEvent]:
    """Return the events recorded before `cutoff`."""
    return AuditEvent.objects.filter(at__lt=cutoff)
