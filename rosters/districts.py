"""
The one writer of DistrictToken rows: a district's token, its connection, and where its sync stands.

A district arrives with a token (imported from Clever, or entered by staff) and is
connected; Clever refusing that token (401) means the district disconnected the app, so
it is marked disconnected and its syncs stop; a new token brings it back, with nothing
lost. The district engine records here, inside its own transaction, when the district
was last synced and where its event feed stood. The connection changes are written to the
audit trail (`audit.services`), with ids and counts only. What each state means to staff
and teachers: docs/district-sync.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

from .models import DistrictToken, SyncRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who changed a district, for the audit trail: a signed-in user (with their request), or a command."""

    user: object = None
    request: object = None
    command: str = ""
    system: str = ""

    def audit(self, action: str, *, target_id: str = "", detail: str = "") -> None:
        audit_record(
            action=action,
            user=self.user,
            request=self.request,
            command=self.command,
            system=self.system,
            target_type="district",
            target_id=target_id,
            detail=detail,
        )


@dataclass(frozen=True)
class TokensImported:
    created: int
    updated: int
    reconnected: int


@transaction.atomic
def district_tokens_store(*, tokens: list[tuple[str, str, str]], actor: Actor) -> TokensImported:
    """Store the district-app tokens Clever listed: (district id, token, name) each; return the counts.

    A district Clever lists is connected: a disconnected one is connected again. One
    audit event records the import's counts, and one each reconnection.
    """
    created = updated = reconnected = 0
    for district_id, token, name in tokens:
        district = DistrictToken.objects.select_for_update().filter(district_id=district_id).first()
        if district is None:
            DistrictToken.objects.create(district_id=district_id, token=token, name=name[:255])
            created += 1
            continue
        updated += 1
        district.token = token
        if name:
            district.name = name[:255]
        reconnected += _connect(district, actor=actor)
        district.save()
    actor.audit(
        AuditEvent.Action.DISTRICT_TOKENS_IMPORTED,
        detail=f"added {created}, updated {updated}, reconnected {reconnected}",
    )
    return TokensImported(created=created, updated=updated, reconnected=reconnected)


@transaction.atomic
def district_token_save(*, district: DistrictToken, token_changed: bool, actor: Actor) -> None:
    """Save a district staff entered or edited in the admin; a new token connects a disconnected district.

    An existing row is saved field by field: a sync may have recorded its state since the form was read.
    """
    if token_changed:
        _connect(district, actor=actor)
    if district.pk is None:
        district.save()
    else:
        district.save(
            update_fields=["district_id", "name", "token", "sync_mode", "status", "disconnected_at", "updated_at"]
        )


def _connect(district: DistrictToken, *, actor: Actor) -> bool:
    """Mark a disconnected district connected again (not saved); return whether it was disconnected."""
    if district.status != DistrictToken.Status.DISCONNECTED:
        return False
    district.status = DistrictToken.Status.CONNECTED
    district.disconnected_at = None
    if district.pk:
        actor.audit(AuditEvent.Action.DISTRICT_RECONNECTED, target_id=district.district_id, detail="a new token")
    logger.info("District %s is connected again", district.district_id)
    return True


@transaction.atomic
def district_disconnect(*, district_pk: int, refused_token: str, detail: str = "") -> bool:
    """Mark the district disconnected because Clever refused `refused_token` (401); return whether it changed.

    Nothing happens when the district has meanwhile got another token (a reconnection wins)
    or is already disconnected. Nothing of the district's roster is deleted.
    """
    district = DistrictToken.objects.select_for_update().filter(pk=district_pk).first()
    if district is None or district.token != refused_token or district.status != DistrictToken.Status.CONNECTED:
        return False
    DistrictToken.objects.filter(pk=district.pk).update(
        status=DistrictToken.Status.DISCONNECTED, disconnected_at=timezone.now(), updated_at=timezone.now()
    )
    Actor(system="sync").audit(
        AuditEvent.Action.DISTRICT_DISCONNECTED, target_id=district.district_id, detail=detail[:200]
    )
    logger.warning("District %s disconnected the app (Clever refused its token)", district.district_id)
    return True


def district_lock(*, district_pk: int) -> DistrictToken:
    """Lock the district's row until the transaction ends (one sync of a district applies at a time)."""
    # NO KEY UPDATE: it still excludes another sync's lock, but not the key-share locks with
    # which PostgreSQL checks new SyncRuns' and SyncJobs' foreign keys to this district.
    return DistrictToken.objects.select_for_update(no_key=True).get(pk=district_pk)


def district_sync_state_save(
    *, district_pk: int, full: bool, last_event_id: str, event_position_known: bool, synced_at: datetime
) -> None:
    """Record a district sync that was just applied: when, which kind, and where the event feed stood.

    Run by the district engine inside its transaction, so the roster and the position it
    reflects are committed together.
    """
    stamp = {"last_full_sync_at": synced_at} if full else {"last_incremental_sync_at": synced_at}
    DistrictToken.objects.filter(pk=district_pk).update(
        **stamp, last_event_id=last_event_id, event_position_known=event_position_known, updated_at=synced_at
    )


def district_last_run_set(*, district_pk: int, run: SyncRun) -> None:
    """Point the district at its latest sync run (the admin shows its counts)."""
    DistrictToken.objects.filter(pk=district_pk).update(last_run=run)
