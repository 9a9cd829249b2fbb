"""
Roster syncs as background jobs: where the rest of the product asks for them, and the
policy of whether a login's sync runs inline, as a job, or not at all (a district synced
moments ago already holds the teacher's classes).

`sync_rosters`, the admin and the login adapter call these; the task a worker runs is
`rosters.tasks.sync_teacher_job` (a teacher's job and a district's alike), and what
happens to a job from then on is `rosters.job_runner`. With the immediate task backend
(the default) a job runs inside the call that enqueues it, so nothing here may hold a
transaction open around one.
Workers, their settings and what a job guarantees: docs/workers.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import job_runner, selectors, services, tasks
from .job_runner import WorkerLost
from .models import DistrictToken, SyncJob, SyncRun, Teacher
from .teachers import teacher_token_save

__all__ = [
    "WorkerLost",
    "district_jobs_enqueue",
    "district_sync_is_fresh",
    "fresh_district_teacher",
    "sync_job_enqueue",
    "sync_jobs_enqueue",
    "sync_jobs_recover",
    "sync_jobs_run_inline",
    "teacher_login_sync",
]

logger = logging.getLogger(__name__)

FAN_OUT_CHUNK = 200  # jobs enqueued per transaction by sync_jobs_enqueue


def sync_job_enqueue(*, teacher: Teacher, trigger: str, requested_by=None) -> SyncJob:
    """Queue a background re-sync of one teacher and return its job.

    With the immediate backend the job has run (and finished) by the time this returns.
    """
    task = tasks.sync_teacher_job
    if not job_runner.backend_defers(task):
        # The task runs inside enqueue(), HTTP included: no transaction around it.
        return job_runner.sync_job_create(task=task, teacher=teacher, trigger=trigger, requested_by=requested_by)
    with transaction.atomic():
        return job_runner.sync_job_create(task=task, teacher=teacher, trigger=trigger, requested_by=requested_by)


def sync_jobs_enqueue(*, teachers: Iterable[Teacher], trigger: str, requested_by=None) -> list[SyncJob]:
    """Queue one background re-sync per teacher (the fleet fan-out); return the jobs."""
    task = tasks.sync_teacher_job
    teachers = list(teachers)
    if not job_runner.backend_defers(task):
        return [
            job_runner.sync_job_create(task=task, teacher=t, trigger=trigger, requested_by=requested_by)
            for t in teachers
        ]
    jobs = []
    for start in range(0, len(teachers), FAN_OUT_CHUNK):
        # Chunks: workers start on the first jobs while the rest are still being queued.
        with transaction.atomic():
            jobs += [
                job_runner.sync_job_create(task=task, teacher=t, trigger=trigger, requested_by=requested_by)
                for t in teachers[start : start + FAN_OUT_CHUNK]
            ]
    return jobs


def district_jobs_enqueue(
    *, districts: Iterable[DistrictToken], trigger: str, mode: str = "", requested_by=None
) -> list[SyncJob]:
    """Queue one background sync per district (the whole district with its token); return the jobs.

    Each job's requests go through its token's rate budget, as teachers' jobs do.
    """
    task = tasks.sync_teacher_job
    jobs = []
    for district in districts:
        create = {"task": task, "district": district, "trigger": trigger, "mode": mode, "requested_by": requested_by}
        if job_runner.backend_defers(task):
            with transaction.atomic():
                jobs.append(job_runner.sync_job_create(**create))
        else:
            jobs.append(job_runner.sync_job_create(**create))  # runs here, HTTP included: no transaction around it
    return jobs


def sync_jobs_run_inline() -> bool:
    """Say whether jobs run inline where they are enqueued (the immediate backend), not on workers."""
    return not job_runner.backend_defers(tasks.sync_teacher_job)


def sync_jobs_recover(*, teacher: Teacher | None = None) -> list[SyncJob]:
    """Run again the jobs whose worker died; return them (see job_runner.sync_jobs_recover)."""
    return job_runner.sync_jobs_recover(task=tasks.sync_teacher_job, teacher=teacher)


def district_sync_is_fresh(*, teacher: Teacher) -> bool:
    """Say whether the teacher's district was synced within ROSTER_DISTRICT_FRESH_MINUTES with them in it.

    A teacher whose row is newer than that sync (Clever shared them since) is not in it.
    """
    minutes = settings.ROSTER_DISTRICT_FRESH_MINUTES
    if minutes <= 0 or not teacher.district_id:
        return False
    district = selectors.teacher_district(teacher=teacher)
    if district is None or not district.is_connected or district.last_synced_at is None:
        return False
    synced_at = district.last_synced_at
    return teacher.created_at <= synced_at and timezone.now() - synced_at <= timedelta(minutes=minutes)


def fresh_district_teacher(*, clever_id: str, district_id: str) -> Teacher | None:
    """Return the teacher as their district's fresh sync read them, or None when a login must ask Clever.

    A login then needs only /me from Clever: the profile (name, email, school) is what the
    district's sync read at most ROSTER_DISTRICT_FRESH_MINUTES ago, as the classes are.
    """
    if not district_id:
        return None
    teacher = Teacher.objects.filter(clever_id=clever_id, district_id=district_id).first()
    if teacher is None or not district_sync_is_fresh(teacher=teacher):
        return None
    return teacher


def teacher_login_sync(*, teacher: Teacher, token: str) -> SyncRun | None:
    """Keep the teacher's fresh Clever token and sync their roster with it; run right after a Clever login.

    Never raises: the login succeeds even when the sync fails. Inline (the default), it
    returns the SyncRun, whose outcome tells whether the classes could be updated (My
    classes says so). With ROSTER_LOGIN_SYNC = "background" the sync is a job instead
    (My classes says "updating" until it is done) and this returns None: no sync ran yet.
    A teacher whose district was synced within ROSTER_DISTRICT_FRESH_MINUTES finds their
    classes there already: no sync runs (None), and the district's own syncs keep it current.
    """
    teacher_token_save(teacher=teacher, token=token)
    try:
        if district_sync_is_fresh(teacher=teacher):
            return None
    except Exception:
        logger.exception("Could not tell whether the district of teacher %s is fresh", teacher.pk)
    if settings.ROSTER_LOGIN_SYNC == "background":
        try:
            sync_job_enqueue(teacher=teacher, trigger=SyncRun.Trigger.LOGIN, requested_by=teacher.user)
        except Exception:
            logger.exception("Login-time roster sync of teacher %s could not be queued", teacher.pk)
        return None
    try:
        return services.roster_sync(
            teacher=teacher,
            credentials=services.SyncCredentials(token=token, paginate=False),
            trigger=SyncRun.Trigger.LOGIN,
            requested_by=teacher.user,
        )
    except Exception:
        logger.exception("Login-time roster sync of teacher %s could not run", teacher.pk)
        return None
