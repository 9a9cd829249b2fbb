"""
Roster sync entry points: how a sync is asked for, with which credentials, and what it left.

Every sync the product runs starts here (My classes' button, the admin, `sync_rosters`,
a login, a background job): these functions choose the credentials, run the engine
(`rosters.sync`), and record a `SyncRun` (the one writer of that table) that says how it
ended, so a failure is reported, never raised at a teacher. District-app tokens are
imported here too (the one writer of DistrictToken rows besides the admin's form), and
both tables' rows deleted when the data policy says so (docs/privacy.md).
Whether a login's sync runs inline or as a job is the jobs' decision (`rosters.jobs`).
See docs/architecture.md.
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

from . import clever
from .models import DistrictToken, SyncJob, SyncRun, Teacher
from .sync.rows import SyncCounts
from .sync.teacher import roster_apply, roster_fetch
from .teachers import teacher_token_forget

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncCredentials:
    token: str = field(repr=False)
    paginate: bool  # district-app tokens page; user tokens cannot


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


# --- Credentials ----------------------------------------------------------------------------


def teacher_sync_credentials(*, teacher: Teacher) -> SyncCredentials:
    """Return the credentials a sync outside a login uses, or raise NeedsFreshLogin.

    A district-app token staff entered for the teacher's district comes first;
    otherwise the teacher's last Clever token, while it still works.
    """
    if teacher.district_id:
        district_token = DistrictToken.objects.filter(district_id=teacher.district_id).first()
        if district_token and district_token.token:
            return SyncCredentials(token=district_token.token, paginate=True)
    if teacher.token:
        return SyncCredentials(token=teacher.token, paginate=False)
    raise NeedsFreshLogin


def teacher_can_sync(*, teacher: Teacher) -> bool:
    """Say whether a sync outside a login has credentials; False: only a fresh Clever login can update them."""
    try:
        teacher_sync_credentials(teacher=teacher)
    except NeedsFreshLogin:
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
    except clever.CleverError as exc:
        error = exc
        logger.warning("Roster sync of teacher %s failed: %s", teacher.pk, exc.describe())
        if isinstance(exc, clever.CleverUnauthorized) and not credentials.paginate:
            # The teacher's stored token no longer works: forget it, so we ask for a fresh login.
            teacher_token_forget(teacher=teacher)
        _finish(run, client, outcome=SyncRun.Outcome.FAILED, error=exc.describe(), message=str(exc.user_message))
    except Exception as exc:
        error = exc
        logger.exception("Roster sync of teacher %s failed unexpectedly", teacher.pk)
        _finish(
            run,
            client,
            outcome=SyncRun.Outcome.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            message=_("Something went wrong while updating your classes. Please try again."),
        )
    else:
        _finish(run, client, outcome=SyncRun.Outcome.SUCCESS, counts=counts)
    finally:
        client.close()
    return SyncAttempt(run=run, error=error)


def _finish(run: SyncRun, client, *, outcome, counts: SyncCounts | None = None, error="", message="") -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.http_calls = client.calls
    run.error = error
    run.message = message
    for name, value in (counts.as_dict() if counts else {}).items():
        setattr(run, name, value)
    run.save()


def roster_preview(*, teacher: Teacher, credentials: SyncCredentials) -> SyncCounts:
    """Return what a sync would change, writing nothing. Raise a CleverError when the fetch fails."""
    with clever.CleverClient(token=credentials.token, paginate=credentials.paginate) as client:
        snapshot = roster_fetch(client=client, teacher_clever_id=teacher.clever_id)
    return roster_apply(teacher=teacher, snapshot=snapshot, dry_run=True)


def teacher_sync(*, teacher: Teacher, trigger: str, requested_by=None) -> SyncRun:
    """Sync a teacher outside a login (button, admin, command); raise NeedsFreshLogin without credentials."""
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
    stale = SyncRun.objects.filter(
        outcome=SyncRun.Outcome.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.ROSTER_SYNC_RUN_STALE_AFTER),
    ).exclude(teacher__in=live_jobs.values("teacher"))
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


def district_tokens_import() -> tuple[int, int]:
    """Store the district-app tokens Clever lists for this app; return (created, updated).

    Raise a CleverError when Clever cannot list them. A district's name is read
    with its own token; a failure there leaves the name blank.
    """
    created = updated = 0
    for info in clever.list_district_tokens():
        name = ""
        try:
            with clever.CleverClient(token=info.access_token) as client:
                name = client.district(info.district_id).name
        except clever.CleverError as exc:
            logger.warning("Could not read the name of district %s: %s", info.district_id, exc.describe())
        token, was_created = DistrictToken.objects.update_or_create(
            district_id=info.district_id, defaults={"token": info.access_token}
        )
        if name and token.name != name:
            DistrictToken.objects.filter(pk=token.pk).update(name=name[:255])
        created += was_created
        updated += not was_created
    return created, updated


# --- Deletes the data policy asks for (privacy.services runs them in batches) ----------------


def sync_runs_delete(*, runs: QuerySet[SyncRun]) -> dict[str, int]:
    """Delete these sync runs (a job that pointed at one keeps no link); return rows per model label."""
    return runs.delete()[1]


def district_tokens_delete(*, tokens: QuerySet[DistrictToken]) -> dict[str, int]:
    """Delete these district tokens (the token and the district's sync state); return rows per model label."""
    return tokens.delete()[1]
