"""
Roster sync entry points: how a sync is asked for, with which credentials, and what it left.

Every sync the product runs starts here (My classes' button, the admin, `sync_rosters`,
a login, a background job): these functions choose the credentials, run an engine
(`rosters.sync.teacher` for one teacher, `rosters.sync.district` for a whole district,
full or from Clever's events), and record a `SyncRun` (the one writer of that table) that
says how it ended, so a failure is reported, never raised at a teacher. A district-app
token Clever refuses (401) marks its district disconnected, and the syncs that would use
it stop. District-app tokens are imported from Clever here (stored by `rosters.districts`), and sync
runs and district rows are deleted here when the data policy says so (docs/privacy.md).
Whether a login's sync runs inline or as a job is the jobs' decision (`rosters.jobs`).
See docs/architecture.md and docs/district-sync.md.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clever, districts
from .districts import Actor, TokensImported
from .models import DistrictToken, SyncJob, SyncRun, Teacher
from .sync.district import (
    DistrictFetch,
    EventPosition,
    EventsUnavailable,
    district_apply,
    district_client,
    district_events_fetch,
    district_snapshot_fetch,
)
from .sync.rows import SyncCounts
from .sync.teacher import roster_apply, roster_fetch
from .teachers import teacher_token_forget

logger = logging.getLogger(__name__)


DISTRICT_DISCONNECTED_MESSAGE = gettext_lazy(
    "Your district has disconnected this app in Clever, so your classes can no longer be updated from Clever."
)


@dataclass(frozen=True)
class SyncCredentials:
    token: str = field(repr=False)
    paginate: bool  # district-app tokens page; user tokens cannot
    district_pk: int | None = None  # the DistrictToken the token is, to mark it disconnected on a 401


@dataclass(frozen=True)
class SyncAttempt:
    """One sync as it ended: its SyncRun, and the exception that failed it (None on success)."""

    run: SyncRun
    error: BaseException | None = None


class NeedsFreshLogin(Exception):
    """No credentials can reach Clever for this teacher: they must log in with Clever again."""


class SyncTooSoon(Exception):
    """The teacher's last sync started less than ROSTER_SYNC_NOW_INTERVAL seconds ago."""

    def __init__(self, *, wait: int):
        self.wait = wait  # whole seconds until "Sync now" works again
        super().__init__(f"synced less than {settings.ROSTER_SYNC_NOW_INTERVAL}s ago; wait {wait}s")


class DistrictDisconnected(Exception):
    """The district disconnected the app in Clever (its token was refused): its syncs stop until a new token."""

    user_message = DISTRICT_DISCONNECTED_MESSAGE

    def __init__(self, district: DistrictToken):
        self.district = district
        super().__init__(
            f"District {district.district_id} is disconnected (since {district.disconnected_at:%Y-%m-%d %H:%M} UTC): "
            "Clever refused its token. Import a new token (sync_rosters --import-tokens, or the admin) to reconnect."
            if district.disconnected_at
            else f"District {district.district_id} is disconnected: Clever refused its token."
        )


# --- Credentials ----------------------------------------------------------------------------


def teacher_sync_credentials(*, teacher: Teacher) -> SyncCredentials:
    """Return the credentials a sync outside a login uses, or raise NeedsFreshLogin.

    A district-app token staff entered for the teacher's district comes first;
    otherwise the teacher's last Clever token, while it still works. Raise
    DistrictDisconnected when the district disconnected the app.
    """
    district = DistrictToken.objects.filter(district_id=teacher.district_id).first() if teacher.district_id else None
    return _credentials(teacher=teacher, district=district)


def _credentials(*, teacher: Teacher, district: DistrictToken | None) -> SyncCredentials:
    if district is not None and not district.is_connected:
        raise DistrictDisconnected(district)
    if district is not None and district.token:
        return SyncCredentials(token=district.token, paginate=True, district_pk=district.pk)
    if teacher.token:
        return SyncCredentials(token=teacher.token, paginate=False)
    raise NeedsFreshLogin


def teacher_can_sync(*, teacher: Teacher, district: DistrictToken | None) -> bool:
    """Say whether a sync outside a login has credentials; False: only a fresh Clever login can update them.

    `district`: the teacher's district row as already read (rosters.selectors.teacher_district),
    or None. False too when that district disconnected the app, which no login can mend.
    """
    try:
        _credentials(teacher=teacher, district=district)
    except (NeedsFreshLogin, DistrictDisconnected):
        return False
    return True


# --- Sync -----------------------------------------------------------------------------------


def roster_sync(
    *,
    teacher: Teacher,
    credentials: SyncCredentials,
    trigger: str,
    requested_by=None,
    throttle: clever.Throttle | None = None,
) -> SyncRun:
    """Fetch and apply one teacher's roster, recording a SyncRun; raise nothing Clever-related.

    The SyncRun's outcome says whether it worked; a failure leaves the roster as it was.
    A `throttle` (a rosters.throttle.RateBudgetThrottle) is asked before each request to Clever.
    """
    return roster_sync_attempt(
        teacher=teacher, credentials=credentials, trigger=trigger, requested_by=requested_by, throttle=throttle
    ).run


def roster_sync_attempt(
    *,
    teacher: Teacher,
    credentials: SyncCredentials,
    trigger: str,
    requested_by=None,
    throttle: clever.Throttle | None = None,
) -> SyncAttempt:
    """Run roster_sync and also return the exception that failed it, for callers that retry.

    Background jobs decide from the exception's type whether another attempt can help.
    """
    error = None
    # A run of this teacher left "running" by a process that died ends here at the latest.
    sync_runs_close_stale(teacher=teacher)
    run = SyncRun.objects.create(teacher=teacher, trigger=trigger, requested_by=requested_by)
    client = clever.CleverClient(token=credentials.token, paginate=credentials.paginate, throttle=throttle)
    try:
        snapshot = roster_fetch(client=client, teacher_clever_id=teacher.clever_id)
        counts = roster_apply(teacher=teacher, snapshot=snapshot)
    except Exception as exc:
        error, message = exc, None
        if isinstance(exc, clever.CleverUnauthorized) and credentials.district_pk is not None:
            # Clever refused the district's token: the district disconnected the app.
            districts.district_disconnect(
                district_pk=credentials.district_pk, refused_token=credentials.token, detail=exc.describe()
            )
            message = DISTRICT_DISCONNECTED_MESSAGE
        elif isinstance(exc, clever.CleverUnauthorized) and not credentials.paginate:
            # The teacher's stored token no longer works: forget it, so we ask for a fresh login.
            teacher_token_forget(teacher=teacher)
        _fail(run, client, exc, what=f"teacher {teacher.pk}", message=message)
    else:
        _finish(run, client, outcome=SyncRun.Outcome.SUCCESS, counts=counts)
    finally:
        client.close()
    return SyncAttempt(run=run, error=error)


def _fail(run: SyncRun, client, exc: Exception, *, what: str, message=None, **fields) -> None:
    """Record a failed sync: Clever's failures as their kind and words, anything else as ours (logged in full).

    Call it from the `except` block that caught `exc`. `message` replaces the one shown to teachers.
    """
    if isinstance(exc, clever.CleverError):
        logger.warning("Roster sync of %s failed: %s", what, exc.describe())
        error, message = exc.describe(), message or exc.user_message
    else:
        logger.exception("Roster sync of %s failed unexpectedly", what)
        error = f"{type(exc).__name__}: {exc}"[:500]
        message = message or _("Something went wrong while updating your classes. Please try again.")
    _finish(run, client, outcome=SyncRun.Outcome.FAILED, error=error, message=str(message), **fields)


def _finish(
    run: SyncRun, client, *, outcome, counts: SyncCounts | None = None, error="", message="", **fields
) -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.http_calls = client.calls
    run.error = error
    run.message = message
    for name, value in ((counts.as_dict() if counts else {}) | fields).items():
        setattr(run, name, value)
    run.save()


def roster_preview(*, teacher: Teacher, credentials: SyncCredentials) -> SyncCounts:
    """Return what a sync would change, writing nothing. Raise a CleverError when the fetch fails."""
    with clever.CleverClient(token=credentials.token, paginate=credentials.paginate) as client:
        snapshot = roster_fetch(client=client, teacher_clever_id=teacher.clever_id)
    return roster_apply(teacher=teacher, snapshot=snapshot, dry_run=True)


def teacher_sync(*, teacher: Teacher, trigger: str, requested_by=None) -> SyncRun:
    """Sync a teacher outside a login (button, admin, command).

    Raise NeedsFreshLogin without credentials, DistrictDisconnected when their district disconnected the app.
    """
    credentials = teacher_sync_credentials(teacher=teacher)
    return roster_sync(teacher=teacher, credentials=credentials, trigger=trigger, requested_by=requested_by)


def teacher_sync_now(*, teacher: Teacher, requested_by=None, now: datetime | None = None) -> SyncRun:
    """Sync a teacher for My classes' "Sync now" button, at most once per ROSTER_SYNC_NOW_INTERVAL seconds.

    Raise SyncTooSoon, syncing nothing, when the teacher's last sync of any kind (each
    costs Clever 3 + one call per section) started less than that long before `now`;
    NeedsFreshLogin without credentials. An interval of 0 turns the limit off.
    """
    interval = settings.ROSTER_SYNC_NOW_INTERVAL
    if interval > 0:
        now = timezone.now() if now is None else now
        last = teacher.sync_runs.order_by("-started_at").values_list("started_at", flat=True).first()
        if last is not None and now - last < timedelta(seconds=interval):
            raise SyncTooSoon(wait=max(1, math.ceil(interval - (now - last).total_seconds())))
    return teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.BUTTON, requested_by=requested_by)


def sync_runs_close_stale(*, teacher: Teacher | None = None, now: datetime | None = None) -> int:
    """Mark failed ("interrupted") the runs a process that died left running; return how many.

    A run is left behind once it started more than ROSTER_SYNC_RUN_STALE_AFTER seconds
    before `now` while no background job of its teacher is alive (beating within
    ROSTER_JOB_STALE_AFTER seconds). The roster itself is safe: a sync applies all or
    nothing. A run that was only slow and finishes after all records its real outcome.
    """
    now = timezone.now() if now is None else now
    live_jobs = SyncJob.objects.filter(
        status=SyncJob.Status.RUNNING,
        heartbeat_at__gte=now - timedelta(seconds=settings.ROSTER_JOB_STALE_AFTER),
    )
    # A job is a teacher's or a district's; the other column is NULL, which NOT IN must not see.
    stale = (
        SyncRun.objects.filter(
            outcome=SyncRun.Outcome.RUNNING,
            started_at__lt=now - timedelta(seconds=settings.ROSTER_SYNC_RUN_STALE_AFTER),
        )
        .exclude(teacher__in=live_jobs.filter(teacher__isnull=False).values("teacher"))
        .exclude(district__in=live_jobs.filter(district__isnull=False).values("district"))
    )
    if teacher is not None:
        stale = stale.filter(teacher=teacher)
    closed = stale.update(
        outcome=SyncRun.Outcome.FAILED,
        finished_at=now,
        error="Interrupted: the process running this sync stopped before it finished.",
        message=_("The last update from Clever was interrupted. Please try again."),
    )
    if closed:
        logger.warning("Marked %d sync run(s) interrupted: their process stopped mid-sync", closed)
    return closed


# --- Districts ----------------------------------------------------------------------------------


def district_sync(
    *,
    district: DistrictToken,
    trigger: str,
    mode: str = "",
    requested_by=None,
    throttle: clever.Throttle | None = None,
) -> SyncRun:
    """Sync a whole district with its token, recording a SyncRun; raise DistrictDisconnected, nothing Clever-related.

    `mode` "full" or "events" forces that kind of sync; "" follows the district's
    `sync_mode`. An incremental sync that cannot be (no position yet, events off, a
    position Clever no longer has) runs a full one and says so in the SyncRun's note.
    """
    return district_sync_attempt(
        district=district, trigger=trigger, mode=mode, requested_by=requested_by, throttle=throttle
    ).run


def district_sync_attempt(
    *,
    district: DistrictToken,
    trigger: str,
    mode: str = "",
    requested_by=None,
    throttle: clever.Throttle | None = None,
) -> SyncAttempt:
    """Run district_sync and also return the exception that failed it, for background jobs that retry."""
    district = DistrictToken.objects.get(pk=district.pk)  # where its sync stands now, not when it was read
    if not district.is_connected:
        raise DistrictDisconnected(district)
    error = None
    run = SyncRun.objects.create(district=district, trigger=trigger, requested_by=requested_by, mode=SyncRun.Mode.FULL)
    client = district_client(token=district.token, throttle=throttle)
    notes: list[str] = []
    try:
        fetched = _district_fetch(client, district, mode=mode, notes=notes)
        applied = district_apply(district_pk=district.pk, fetched=fetched)
    except Exception as exc:
        error, message = exc, None
        if isinstance(exc, clever.CleverUnauthorized):
            districts.district_disconnect(district_pk=district.pk, refused_token=district.token, detail=exc.describe())
            message = DISTRICT_DISCONNECTED_MESSAGE
            notes.append("Clever refused the district's token: the district is now shown as disconnected.")
        _fail(run, client, exc, what=f"district {district.district_id}", message=message, note="\n".join(notes))
    else:
        notes += fetched.notes
        if not applied.applied:
            notes.append("Another sync of this district applied newer changes meanwhile: these were not written.")
        _finish(
            run,
            client,
            outcome=SyncRun.Outcome.SUCCESS,
            counts=applied.counts,
            mode=SyncRun.Mode.FULL if fetched.full else SyncRun.Mode.EVENTS,
            records=fetched.records,
            note="\n".join(notes),
        )
    finally:
        client.close()
        districts.district_last_run_set(district_pk=district.pk, run=run)
    return SyncAttempt(run=run, error=error)


def district_preview(*, district: DistrictToken, mode: str = "") -> tuple[DistrictFetch, SyncCounts, list[str]]:
    """Return what a district sync would read and change (and its notes), writing nothing.

    Raise DistrictDisconnected, or a CleverError when the fetch fails.
    """
    district = DistrictToken.objects.get(pk=district.pk)
    if not district.is_connected:
        raise DistrictDisconnected(district)
    notes: list[str] = []
    with district_client(token=district.token) as client:
        fetched = _district_fetch(client, district, mode=mode, notes=notes)
    applied = district_apply(district_pk=district.pk, fetched=fetched, dry_run=True)
    return fetched, applied.counts, [*notes, *fetched.notes]


def _district_fetch(client, district: DistrictToken, *, mode: str, notes: list[str]) -> DistrictFetch:
    """Read the district's events when asked for, else (or when they cannot be had) the whole district."""
    start = EventPosition.of(district)
    if (mode or district.sync_mode) == DistrictToken.SyncMode.EVENTS:
        try:
            return district_events_fetch(
                client=client,
                district_id=district.district_id,
                start=start,
                positioned_at=district.last_synced_at,
                now=timezone.now(),
            )
        except EventsUnavailable as exc:
            notes.append(f"Fell back to a full sync: {exc}.")
    return district_snapshot_fetch(client=client, district_id=district.district_id, start=start)


def district_tokens_import(*, actor: Actor) -> TokensImported:
    """Store the district-app tokens Clever lists for this app; return how many were added, updated, reconnected.

    Raise a CleverError when Clever cannot list them. A district's name is read with
    its own token; a failure there leaves the name as it was. A district Clever lists is
    connected again if it was disconnected.
    """
    tokens = []
    for info in clever.list_district_tokens():
        name = ""
        try:
            with clever.CleverClient(token=info.access_token) as client:
                name = client.district(info.district_id).name
        except clever.CleverError as exc:
            logger.warning("Could not read the name of district %s: %s", info.district_id, exc.describe())
        tokens.append((info.district_id, info.access_token, name))
    return districts.district_tokens_store(tokens=tokens, actor=actor)


# --- Deletes the data policy asks for (privacy.services runs them in batches) ----------------


def sync_runs_delete(*, runs: QuerySet[SyncRun]) -> dict[str, int]:
    """Delete these sync runs (a job that pointed at one keeps no link); return rows per model label."""
    return runs.delete()[1]


def district_tokens_delete(*, tokens: QuerySet[DistrictToken]) -> dict[str, int]:
    """Delete these district tokens (the token and the district's sync state); return rows per model label."""
    return tokens.delete()[1]
