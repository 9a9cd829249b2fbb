"""Background jobs on PostgreSQL with real workers: several at once, one killed mid-sync, heartbeats."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from rosters import jobs
from rosters.models import Enrollment, SectionTeacher, Student, SyncJob, SyncRun, Teacher
from tests.fixtures import FISCHER, HARBOR_TEACHERS, OKORO, RIVERA

from .helpers import FISCHER_CLASSES, OKORO_CLASSES, RIVERA_CLASSES, classes, teacher_row
from .jobs_helpers import make_tasks_due, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

HARBOR_CLASSES = {RIVERA: RIVERA_CLASSES, OKORO: OKORO_CLASSES, FISCHER: FISCHER_CLASSES}
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: workers in other threads and processes share the database")


def wait_for(condition, *, timeout=60.0):
    """Poll until condition() is true; fail after `timeout` seconds (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("gave up waiting")
        time.sleep(0.05)


def workers_at_once(count: int) -> None:
    errors = []

    def work(number):
        try:
            run_worker(worker_id=f"worker-{number}")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_two_workers_never_double_apply_a_teacher(harbor, district_token, database_tasks):
    teachers = [teacher_row(clever_id) for clever_id in HARBOR_TEACHERS]
    # The nightly fan-out, run twice by mistake: two jobs per teacher.
    jobs.sync_jobs_enqueue(teachers=teachers, trigger=SyncRun.Trigger.COMMAND)
    jobs.sync_jobs_enqueue(teachers=teachers, trigger=SyncRun.Trigger.COMMAND)

    workers_at_once(2)
    make_tasks_due()  # a job that found its teacher busy was deferred; let it fall due
    workers_at_once(2)

    statuses = list(SyncJob.objects.values_list("teacher__clever_id", "status"))
    assert len(statuses) == 6
    for clever_id in HARBOR_TEACHERS:
        # Exactly one of each teacher's two jobs synced; the other found the work done.
        assert sorted(status for teacher, status in statuses if teacher == clever_id) == [
            SyncJob.Status.SKIPPED,
            SyncJob.Status.SUCCEEDED,
        ]
    assert {clever_id: classes(clever_id) for clever_id in HARBOR_TEACHERS} == HARBOR_CLASSES
    runs = SyncRun.objects.all()
    assert runs.count() == 3
    assert set(runs.values_list("outcome", flat=True)) == {SyncRun.Outcome.SUCCESS}
    assert Student.objects.count() == Student.objects.values("clever_id").distinct().count()
    assert Teacher.objects.count() == Teacher.objects.values("clever_id").distinct().count()
    pairs = list(Enrollment.objects.values_list("section_id", "student_id"))
    assert len(pairs) == len(set(pairs))
    links = list(SectionTeacher.objects.values_list("section_id", "teacher_id"))
    assert len(links) == len(set(links))
    assert not DBTaskResult.objects.filter(status__in=["READY", "RUNNING", "FAILED"]).exists()


def _worker_process(sandbox_url: str) -> subprocess.Popen:
    """Start `manage.py db_worker` in its own process, on the test database and the test sandbox."""
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cleverproject.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,  # the same key decrypts the stored tokens
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": url,
        "DJANGO_TASKS_BACKEND": "database",
        # With debug off, a per-process cache refuses to load; a worker uses none, so any shared one does.
        "CACHE_URL": f"filecache://{tempfile.gettempdir()}/classroom-test-worker-cache",
        "CLEVER_SANDBOX": "false",
        "CLEVER_CLIENT_ID": "sandbox-client-id",
        "CLEVER_CLIENT_SECRET": "sandbox-client-secret",
        "CLEVER_API_BASE": sandbox_url,
        "CLEVER_OAUTH_BASE": sandbox_url,
        "CLEVER_HTTP_TIMEOUT": "120",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_job_whose_worker_is_killed_mid_sync_is_run_again(harbor, district_token, database_tasks, settings):
    harbor.state.add_fault("/v2.0/teachers/*", "hang")  # the sync waits on its first request until cleared
    job = jobs.sync_job_enqueue(teacher=teacher_row(RIVERA), trigger=SyncRun.Trigger.COMMAND)
    worker = _worker_process(harbor.url)
    try:
        wait_for(lambda: SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.RUNNING)
    finally:
        worker.send_signal(signal.SIGKILL)  # no clean shutdown: as when a host dies
        worker.wait(timeout=30)
    assert DBTaskResult.objects.get().status == "RUNNING"  # what django-tasks-db leaves behind
    harbor.state.clear_faults()
    settings.ROSTER_JOB_STALE_AFTER = 0.001  # the killed worker will never beat again

    out = StringIO()
    call_command("sync_rosters", "--requeue-stale", stdout=out)
    run_worker()

    assert "Found 1 job whose worker stopped" in out.getvalue()
    job.refresh_from_db()
    assert (job.status, job.attempt) == (SyncJob.Status.SUCCEEDED, 2)
    assert classes(RIVERA) == RIVERA_CLASSES
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL"]
    assert SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count() == 1


def test_a_long_job_keeps_beating_so_it_is_not_taken_for_dead(harbor, district_token, database_tasks, settings):
    settings.ROSTER_JOB_HEARTBEAT = 0.1
    harbor.state.add_fault("/v2.0/teachers/*", "hang")  # Clever answers only once the test clears it
    job = jobs.sync_job_enqueue(teacher=teacher_row(RIVERA), trigger=SyncRun.Trigger.COMMAND)
    runner = threading.Thread(target=lambda: (run_worker(), connections.close_all()))
    runner.start()
    try:
        wait_for(lambda: SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.RUNNING)
        started = SyncJob.objects.get(pk=job.pk).started_at
        # While the sync waits on Clever, the heartbeat moves on: a sweep sees a live job.
        wait_for(lambda: SyncJob.objects.get(pk=job.pk).heartbeat_at > started)
        assert SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.RUNNING  # still waiting on Clever
    finally:
        harbor.state.clear_faults()
        runner.join()

    job.refresh_from_db()
    assert (job.status, job.attempt) == (SyncJob.Status.SUCCEEDED, 1)
    assert classes(RIVERA) == RIVERA_CLASSES
