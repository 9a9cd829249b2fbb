"""
The life of a `SyncJob` once asked for: queued, claimed, attempted, then finished, retried
or deferred; and run again when its worker dies. The one writer of SyncJob rows (their
deletion too, when the data policy says so), and of our changes to django-tasks-db's rows.

What a job guarantees (idempotent, one teacher or district at a time, retried when it can help, run
again when its worker dies) and the settings that tune it: docs/workers.md.

Each state change is a compare-and-set on the job's row, so two deliveries of one task,
or a worker given up for dead that wakes up again, change nothing. Re-enqueueing needs
the task that runs a job: the caller passes it in (`rosters.tasks` passes itself), so
this module never imports the task module and the task module is a thin wrapper over it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from contextlib import nullcontext
from datetime import timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import clever, services
from .models import DistrictToken, SyncJob, SyncRun, Teacher
from .throttle import RateBudgetThrottle

if TYPE_CHECKING:
    from django_tasks import Task

logger = logging.getLogger(__name__)

# Worth another attempt: Clever may answer next time, a deadlock or lost connection passes.
TRANSIENT_ERRORS = (clever.CleverUnavailable, clever.CleverBadResponse, OperationalError, InterfaceError)
RETRY_DELAY_CAP = 30 * 60.0  # seconds; the doubling stops here
BUSY_DELAY = 15.0  # seconds before looking again when another job is syncing the teacher or district
# Deferrals (rate limit, teacher busy) are not failures, but a job is not deferred forever.
MAX_DEFERRALS = 20
LOGIN_PRIORITY = 10  # a teacher waiting on My classes goes ahead of the nightly fan-out


class WorkerLost(Exception):
    """The worker running a job stopped beating (it died or was killed); the job runs again."""


# --- Queue ---------------------------------------------------------------------------------


def sync_job_create(
    *,
    task: Task,
    trigger: str,
    teacher: Teacher | None = None,
    district: DistrictToken | None = None,
    mode: str = "",
    requested_by=None,
) -> SyncJob:
    """Create a job for a teacher or a whole district and enqueue its first attempt as `task`; return the job.

    With a backend that runs tasks at once (the immediate one), the job has run by now.
    """
    job = SyncJob.objects.create(
        teacher=teacher, district=district, mode=mode, trigger=trigger, requested_by=requested_by
    )
    _task_for(task, job).enqueue(job_id=job.pk)
    return job


def _task_for(task: Task, job: SyncJob, *, run_after=None) -> Task:
    priority = LOGIN_PRIORITY if job.trigger == SyncRun.Trigger.LOGIN else None
    return task.using(priority=priority, run_after=run_after)


def backend_defers(task: Task) -> bool:
    """Say whether the task's backend runs tasks later, elsewhere (False: inline, at enqueue)."""
    return task.get_backend().supports_defer


# --- Run -----------------------------------------------------------------------------------


def sync_job_run(*, job_id: int, task_id: str, task: Task) -> str:
    """Run one attempt of a job: claim it, sync, then finish, retry or defer it. Return its status.

    `task_id` is the running task's; a next attempt is enqueued as `task`. Never raises
    for a failed sync: the outcome is on the job and its SyncRun.
    """
    if backend_defers(task):
        _recover_if_due(task)
    job = SyncJob.objects.select_related("teacher", "district", "requested_by").filter(pk=job_id).first()
    if job is None:
        logger.info("Sync job %s no longer exists (its teacher or district was deleted?)", job_id)
        return "missing"
    if job.status != SyncJob.Status.QUEUED:
        return job.status  # already claimed by another task: nothing to do
    if _synced_since_requested(job):
        _close_queued(job, status=SyncJob.Status.SKIPPED, error="")
        return SyncJob.Status.SKIPPED

    claimed = _claim(job, task_id, task)
    if claimed is None:  # another job is syncing this teacher (or district) right now
        busy = f"Another sync of this {'district' if job.district_id else 'teacher'} was running."
        if not backend_defers(task):
            _close_queued(job, status=SyncJob.Status.SKIPPED, error=busy)
            return SyncJob.Status.SKIPPED
        return _defer_queued(job, task, delay=BUSY_DELAY, error=busy)
    if not claimed:
        return job.status  # another task claimed it a moment ago

    heartbeat = _Heartbeat(job_pk=job.pk, task_id=task_id)
    heartbeat.start()
    try:
        outcome, error = _attempt(job)
    finally:
        heartbeat.stop()
    return _after_attempt(job, task, task_id=task_id, run=outcome, error=error)


def _synced_since_requested(job: SyncJob) -> bool:
    """Say whether a sync that makes this job pointless succeeded since it was asked for.

    A district job that asks for a full sync is made pointless only by a full one: an
    incremental sync since does not re-read the district.
    """
    subject = {"district_id": job.district_id} if job.district_id else {"teacher_id": job.teacher_id}
    if job.district_id and job.mode == SyncRun.Mode.FULL:
        subject["mode"] = SyncRun.Mode.FULL
    return SyncRun.objects.filter(
        **subject, outcome=SyncRun.Outcome.SUCCESS, started_at__gte=job.requested_at
    ).exists()


def _claim(job: SyncJob, task_id: str, task: Task) -> bool | None:
    """Mark the job running for this task. None: another job of the teacher (or district) is running."""
    for _ in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                claimed = SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.QUEUED).update(
                    status=SyncJob.Status.RUNNING,
                    task_id=task_id[:64],
                    started_at=now,
                    heartbeat_at=now,
                    run_after=None,
                )
        except IntegrityError:
            # The running one may belong to a dead worker: recover it, then try once more.
            if not sync_jobs_recover(task=task, teacher=job.teacher, district=job.district):
                return None
            continue
        job.status, job.task_id, job.started_at, job.heartbeat_at = SyncJob.Status.RUNNING, task_id[:64], now, now
        return bool(claimed)
    return None


def _attempt(job: SyncJob) -> tuple[SyncRun | None, BaseException | None]:
    """Sync the job's teacher or district once; return the SyncRun (None if none started) and what failed it."""
    try:
        if job.district_id:
            # One district token, shared by every worker through its rate budget.
            with RateBudgetThrottle(token=job.district.token) as throttle:
                attempt = services.district_sync_attempt(
                    district=job.district,
                    trigger=job.trigger,
                    mode=job.mode,
                    requested_by=job.requested_by,
                    throttle=throttle,
                )
            return attempt.run, attempt.error
        credentials = sync_job_credentials(job=job)
        with RateBudgetThrottle(token=credentials.token) as throttle:
            attempt = services.roster_sync_attempt(
                teacher=job.teacher,
                credentials=credentials,
                trigger=job.trigger,
                requested_by=job.requested_by,
                throttle=throttle,
            )
        return attempt.run, attempt.error
    except Exception as exc:  # NeedsFreshLogin, DistrictDisconnected, or the database failing before the sync began
        return None, exc


def sync_job_credentials(*, job: SyncJob) -> services.SyncCredentials:
    """Return the credentials a job syncs with; raise NeedsFreshLogin when there are none.

    A login's job uses the token the teacher just signed in with, as the inline login
    sync does; every other job, the district token or the teacher's last token.
    """
    teacher = job.teacher
    if job.trigger == SyncRun.Trigger.LOGIN and teacher.token:
        return services.SyncCredentials(token=teacher.token, paginate=False)
    return services.teacher_sync_credentials(teacher=teacher)


def _after_attempt(job: SyncJob, task: Task, *, task_id: str, run: SyncRun | None, error: BaseException | None) -> str:
    if error is None:
        _close_running(job, task_id=task_id, status=SyncJob.Status.SUCCEEDED, run=run, error="")
        return SyncJob.Status.SUCCEEDED
    described = _describe(error)
    if isinstance(error, clever.CleverRateLimited) and backend_defers(task):
        if job.deferrals >= MAX_DEFERRALS:
            _close_running(job, task_id=task_id, status=SyncJob.Status.FAILED, run=run, error=described)
            return SyncJob.Status.FAILED
        wait = error.retry_after if error.retry_after is not None else settings.CLEVER_RATE_LIMIT_WINDOW
        return _requeue_running(
            job,
            task,
            task_id=task_id,
            run=run,
            delay=wait + random.uniform(1, 5),  # noqa: S311 - spreads the deferred jobs
            deferred=True,
            error=described,
        )
    retryable = isinstance(error, (*TRANSIENT_ERRORS, clever.CleverRateLimited))
    if retryable and job.attempt < settings.ROSTER_JOB_MAX_ATTEMPTS:
        return _requeue_running(
            job, task, task_id=task_id, run=run, delay=_backoff(job.attempt), deferred=False, error=described
        )
    _close_running(job, task_id=task_id, status=SyncJob.Status.FAILED, run=run, error=described)
    return SyncJob.Status.FAILED


def _describe(error: BaseException) -> str:
    if isinstance(error, clever.CleverError):
        return error.describe()
    if isinstance(error, services.NeedsFreshLogin):
        return "NeedsFreshLogin: no district token and no working teacher token; the teacher must log in again."
    if isinstance(error, services.DistrictDisconnected):
        return f"DistrictDisconnected: {error}"
    return f"{type(error).__name__}: {error}"[:500]


def _backoff(attempt: int) -> float:
    delay = min(RETRY_DELAY_CAP, settings.ROSTER_JOB_RETRY_DELAY * 2 ** (attempt - 1))
    return delay * random.uniform(0.75, 1.0)  # noqa: S311 - spreads a fleet's retries


# --- State changes ---------------------------------------------------------------------------
# Each is a compare-and-set on the job's status (and, once running, on the task that claimed
# it), so a worker that was given up for dead and wakes up again changes nothing.


def _close_queued(job: SyncJob, *, status: str, error: str) -> None:
    SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.QUEUED).update(
        status=status, error=error, finished_at=timezone.now(), run_after=None
    )
    job.status = status


def _close_running(job: SyncJob, *, task_id: str, status: str, run: SyncRun | None, error: str) -> None:
    fields = {"status": status, "error": error, "finished_at": timezone.now(), "heartbeat_at": None}
    if run is not None:
        fields["last_run"] = run
    if not SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.RUNNING, task_id=task_id[:64]).update(**fields):
        logger.warning("Sync job %s was taken over while task %s ran it; leaving it as it is", job.pk, task_id)
    if status == SyncJob.Status.FAILED:
        logger.warning("Sync job %s (%s) failed: %s", job.pk, job, error)
    job.status = status


def _requeue_running(
    job: SyncJob, task: Task, *, task_id: str, run: SyncRun | None, delay: float, deferred: bool, error: str
) -> str:
    """Put a job that just ran back in the queue, for another attempt or after a deferral."""
    attempt = job.attempt + (0 if deferred else 1)
    deferrals = job.deferrals + (1 if deferred else 0)
    fields = {"attempt": attempt, "deferrals": deferrals, "error": error, "heartbeat_at": None}
    if run is not None:
        fields["last_run"] = run
    match = {"status": SyncJob.Status.RUNNING, "task_id": task_id[:64]}
    updated = _requeue(job, task, match=match, delay=delay, **fields)
    if not updated:
        logger.warning("Sync job %s was taken over while task %s ran it; not re-enqueuing", job.pk, task_id)
    # Inline, the next attempt has already run: report where the job stands now.
    return SyncJob.objects.values_list("status", flat=True).get(pk=job.pk)


def _defer_queued(job: SyncJob, task: Task, *, delay: float, error: str) -> str:
    if job.deferrals >= MAX_DEFERRALS:
        _close_queued(job, status=SyncJob.Status.FAILED, error=error)
        return SyncJob.Status.FAILED
    _requeue(job, task, match={"status": SyncJob.Status.QUEUED}, delay=delay, deferrals=job.deferrals + 1, error=error)
    # The task that was enqueued for this attempt ends here; a new one will run it.
    return SyncJob.Status.QUEUED


def _requeue(job: SyncJob, task: Task, *, match: dict, delay: float, **fields) -> bool:
    """Set the job queued with `fields` and enqueue its next task, `delay` seconds from now if the backend can.

    Inline (the immediate backend) the next attempt runs at once, inside this one: the
    client's own back-off has already spaced the requests, and attempts stay bounded.
    """
    defers = backend_defers(task)
    run_after = timezone.now() + timedelta(seconds=delay) if defers else None
    with transaction.atomic() if defers else nullcontext():
        if not SyncJob.objects.filter(pk=job.pk, **match).update(
            status=SyncJob.Status.QUEUED, task_id="", run_after=run_after, **fields
        ):
            return False
        _task_for(task, job, run_after=run_after).enqueue(job_id=job.pk)
    if run_after is not None:
        logger.info("Sync job %s queued again for %s: %s", job.pk, run_after.isoformat(), fields.get("error", ""))
    return True


# --- Heartbeat and dead workers ----------------------------------------------------------


class _Heartbeat:
    """Touch the running job's heartbeat every ROSTER_JOB_HEARTBEAT seconds, from a thread.

    A sync shorter than one beat never opens the thread's own database connection;
    a longer one opens one and closes it when the sync ends.
    """

    def __init__(self, *, job_pk: int, task_id: str):
        self.job_pk = job_pk
        self.task_id = task_id[:64]
        self.interval = settings.ROSTER_JOB_HEARTBEAT
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> None:
        if self.interval and self.interval > 0:
            self._thread = threading.Thread(target=self._beat, name=f"sync-job-{self.job_pk}-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    SyncJob.objects.filter(pk=self.job_pk, status=SyncJob.Status.RUNNING, task_id=self.task_id).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:
                    # One missed beat: a new connection for the next. Beats stopping for good
                    # would let the sweep take a live job for a dead one.
                    logger.exception("Heartbeat of sync job %s failed; trying again", self.job_pk)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection, if it opened one


_last_recovery = 0.0  # time.monotonic() of this process's last sweep


def _recover_if_due(task: Task) -> None:
    """Let every worker look for dead peers' jobs (and the runs dead processes left) now and then,
    so no cron is needed for it."""
    global _last_recovery
    if time.monotonic() - _last_recovery < settings.ROSTER_JOB_STALE_AFTER:
        return
    _last_recovery = time.monotonic()
    try:
        sync_jobs_recover(task=task)
        services.sync_runs_close_stale()
    except Exception:
        logger.exception("Looking for sync jobs of dead workers failed")


def sync_jobs_recover(
    *, task: Task, teacher: Teacher | None = None, district: DistrictToken | None = None
) -> list[SyncJob]:
    """Run again the jobs whose worker died (running, silent for ROSTER_JOB_STALE_AFTER s); return them.

    Each goes back in the queue as a new attempt, or fails once it used its attempts
    (a job that kills its worker every time must end). The task the dead worker held,
    which django-tasks-db would show RUNNING forever, is marked failed.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.ROSTER_JOB_STALE_AFTER)
    stale = SyncJob.objects.filter(status=SyncJob.Status.RUNNING, heartbeat_at__lt=cutoff).select_related(
        "teacher", "district"
    )
    if teacher is not None:
        stale = stale.filter(teacher=teacher)
    if district is not None:
        stale = stale.filter(district=district)
    recovered = []
    for job in stale:
        # Compare-and-set on the heartbeat we read: a beat or another sweeper since wins.
        match = {"status": SyncJob.Status.RUNNING, "task_id": job.task_id, "heartbeat_at": job.heartbeat_at}
        error = f"WorkerLost: the worker running attempt {job.attempt} stopped (no heartbeat since {job.heartbeat_at})"
        if job.attempt >= settings.ROSTER_JOB_MAX_ATTEMPTS:
            taken = SyncJob.objects.filter(pk=job.pk, **match).update(
                status=SyncJob.Status.FAILED, error=error, finished_at=timezone.now(), heartbeat_at=None
            )
        else:
            taken = _requeue(job, task, match=match, delay=0, attempt=job.attempt + 1, error=error, heartbeat_at=None)
        if taken:
            logger.warning("Sync job %s lost its worker (task %s); %s", job.pk, job.task_id, error)
            _task_result_mark_lost(job.task_id)
            recovered.append(job)
    return recovered


def _task_result_mark_lost(task_id: str) -> None:
    """Mark the dead worker's task failed in django-tasks-db, which would leave it RUNNING."""
    if not apps.is_installed("django_tasks_db") or not task_id:
        return
    try:
        uuid.UUID(task_id)
    except ValueError:
        return  # not a database backend's task (the immediate backend's ids are not UUIDs)
    from django_tasks_db.models import DBTaskResult  # installed only with the database backend

    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="The worker running this task stopped; the sync job was enqueued again or failed.\n",
    )


# --- Deletes the data policy asks for (privacy.services runs them in batches) ----------------


def sync_jobs_delete(*, jobs: QuerySet[SyncJob]) -> dict[str, int]:
    """Delete these (finished) sync jobs; return rows per model label."""
    return jobs.exclude(status__in=SyncJob.ACTIVE).delete()[1]


def task_results_finished_before(*, cutoff) -> QuerySet | None:
    """Return django-tasks-db's task rows that finished before `cutoff`; None without that backend."""
    if not apps.is_installed("django_tasks_db"):
        return None
    from django_tasks_db.models import DBTaskResult  # installed only with the database backend

    return DBTaskResult.objects.filter(status__in=("SUCCESSFUL", "FAILED"), finished_at__lt=cutoff)


def task_results_delete(*, results: QuerySet) -> dict[str, int]:
    """Delete these (finished) task rows of django-tasks-db, which never deletes its own; return rows per label."""
    return results.filter(status__in=("SUCCESSFUL", "FAILED")).delete()[1]
