"""Background re-syncs (fleet jobs): enqueue, run, retry, defer, recover; over HTTP to the sandbox."""

import hashlib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rosters import job_runner, jobs, services, tasks
from rosters.clever import CleverClient, CleverRateLimited
from rosters.models import RateBudget, SyncJob, SyncRun, Teacher
from rosters.throttle import RateBudgetThrottle
from sandbox import demo
from tests.clock import START, FakeClock
from tests.factories import OnboardingFactory, UserFactory
from tests.fixtures import FISCHER, HARBOR, HARBOR_TEACHERS, OKORO, PETROVA, RIVERA, serve_rosters

from .helpers import FISCHER_CLASSES, OKORO_CLASSES, RIVERA_CLASSES, classes, database_state, teacher_row
from .jobs_helpers import make_tasks_due, run_worker, task_statuses

pytestmark = pytest.mark.django_db

# A worker closes the database connection between tasks, as a worker should; on PostgreSQL
# that would end a test's wrapping transaction, so tests that run one commit for real.
with_worker = pytest.mark.django_db(transaction=True)

# What each Harbor teacher's My classes shows once every one of them is synced (tests/fixtures).
HARBOR_CLASSES = {RIVERA: RIVERA_CLASSES, OKORO: OKORO_CLASSES, FISCHER: FISCHER_CLASSES}


def run_command(*args) -> str:
    out = StringIO()
    call_command("sync_rosters", *args, stdout=out)
    return out.getvalue()


def enqueue(clever_id, *, trigger=SyncRun.Trigger.COMMAND) -> SyncJob:
    job = jobs.sync_job_enqueue(teacher=teacher_row(clever_id), trigger=trigger)
    job.refresh_from_db()
    return job


# --- The immediate backend (the default): jobs run where they are enqueued -----------------


def test_an_enqueued_job_runs_at_once_with_the_immediate_backend_so_the_roster_arrives(harbor, district_token):
    job = enqueue(RIVERA)

    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.attempt == 1
    assert job.last_run.outcome == SyncRun.Outcome.SUCCESS
    assert job.last_run.trigger == SyncRun.Trigger.COMMAND
    assert classes(RIVERA) == RIVERA_CLASSES


def test_a_second_job_for_a_teacher_synced_since_it_was_requested_changes_nothing(harbor, district_token):
    teacher = teacher_row(RIVERA)
    requested_before = SyncJob.objects.create(
        teacher=teacher, trigger=SyncRun.Trigger.COMMAND, requested_at=timezone.now() - timedelta(minutes=5)
    )
    enqueue(RIVERA)
    before = database_state()
    calls = harbor.state.count_calls("/v2.0/**")

    assert (
        job_runner.sync_job_run(job_id=requested_before.pk, task_id="t-dup", task=tasks.sync_teacher_job)
        == SyncJob.Status.SKIPPED
    )

    assert database_state() == before
    assert harbor.state.count_calls("/v2.0/**") == calls  # not one request to Clever
    assert SyncRun.objects.count() == 1


def test_running_the_same_job_again_is_harmless(harbor, district_token):
    job = enqueue(RIVERA)
    before = database_state()

    assert (
        job_runner.sync_job_run(job_id=job.pk, task_id="a-second-delivery", task=tasks.sync_teacher_job)
        == SyncJob.Status.SUCCEEDED
    )

    assert database_state() == before
    assert SyncRun.objects.count() == 1


def test_the_fan_out_command_runs_inline_with_the_immediate_backend(harbor, district_token):
    serve_rosters(harbor, "harbor", "library")
    for clever_id in HARBOR_TEACHERS:
        teacher_row(clever_id)
    petrova = teacher_row(PETROVA, library=True)
    Teacher.objects.filter(pk=petrova.pk).update(token=harbor.state.user_token(PETROVA))

    output = run_command("--all", "--enqueue")

    # One job for the district (its three teachers at once), one for the Library teacher.
    assert "Enqueued 2 sync jobs. (1 for districts, 1 for teachers)" in output
    assert "succeeded 2, failed 0, skipped 0" in output
    assert {clever_id: classes(clever_id) for clever_id in HARBOR_TEACHERS} == HARBOR_CLASSES
    assert classes(PETROVA) == {"Chess Club": ["Owen P"], "Reading Circle": ["Mila N", "Theo G"]}


# --- The database backend: jobs wait for a worker ------------------------------------------


@with_worker
def test_the_fan_out_enqueues_one_job_per_teacher_for_the_workers(harbor, district_token, database_tasks):
    for clever_id in HARBOR_TEACHERS:
        teacher_row(clever_id)

    output = run_command(*(arg for clever_id in HARBOR_TEACHERS for arg in ("--teacher", clever_id)), "--enqueue")

    assert "Enqueued 3 sync jobs." in output
    assert SyncJob.objects.filter(status=SyncJob.Status.QUEUED).count() == 3
    assert task_statuses() == ["READY"] * 3
    assert not SyncRun.objects.exists()  # nothing ran yet: that is the workers' job

    run_worker()

    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    assert task_statuses() == ["SUCCESSFUL"] * 3
    assert {clever_id: classes(clever_id) for clever_id in HARBOR_TEACHERS} == HARBOR_CLASSES


@with_worker
def test_a_district_job_waits_for_a_worker_and_syncs_the_whole_district(harbor, district_token, database_tasks):
    output = run_command("--district", HARBOR, "--enqueue")

    assert "Enqueued 1 sync job. (1 for districts, 0 for teachers)" in output
    assert not SyncRun.objects.exists()

    run_worker()

    job = SyncJob.objects.get()
    assert (job.status, job.district_id, job.teacher_id) == (SyncJob.Status.SUCCEEDED, district_token.pk, None)
    assert job.last_run.district_id == district_token.pk
    # Every teacher of the district has their classes, though none of them has signed in.
    assert {clever_id: classes(clever_id) for clever_id in HARBOR_TEACHERS} == HARBOR_CLASSES
    # Its requests went through the district token's rate budget.
    assert RateBudget.objects.filter(key=hashlib.sha256(district_token.token.encode()).hexdigest()).exists()


def test_enqueue_one_teacher_and_without_enqueue_the_command_still_syncs_inline(
    harbor, district_token, database_tasks
):
    teacher_row(RIVERA)

    assert "Enqueued 1 sync job." in run_command("--teacher", RIVERA, "--enqueue")
    assert "Synced 1, failed 0, skipped 0" in run_command("--teacher", RIVERA)
    assert SyncJob.objects.get().status == SyncJob.Status.QUEUED  # the inline sync used no job


def test_enqueue_and_dry_run_do_not_mix(harbor, district_token):
    teacher_row(RIVERA)
    with pytest.raises(CommandError, match="cannot be combined"):
        run_command("--all", "--enqueue", "--dry-run")


# --- Retries -------------------------------------------------------------------------------


def test_a_job_that_fails_once_is_retried_inline_and_succeeds(harbor, district_token):
    # Four 503s use up the client's own four attempts once; the job's second attempt gets through.
    harbor.state.add_fault("/v2.0/teachers/*", 503, times=4)

    job = enqueue(RIVERA)

    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.attempt == 2
    runs = list(SyncRun.objects.order_by("pk"))
    assert [run.outcome for run in runs] == [SyncRun.Outcome.FAILED, SyncRun.Outcome.SUCCESS]
    assert runs[0].error == "CleverUnavailable: HTTP 503 Service unavailable"
    assert classes(RIVERA) == RIVERA_CLASSES


@with_worker
def test_a_failed_attempt_is_retried_later_with_backoff_by_the_workers(
    harbor, district_token, database_tasks, settings
):
    harbor.state.add_fault("/v2.0/teachers/*", 503, times=4)
    job = enqueue(RIVERA)

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.QUEUED
    assert job.attempt == 2
    assert job.error == "CleverUnavailable: HTTP 503 Service unavailable"
    # Not before the back-off (ROSTER_JOB_RETRY_DELAY, less at most a quarter of jitter) after the failure.
    backoff = timedelta(seconds=settings.ROSTER_JOB_RETRY_DELAY)
    assert job.run_after - job.last_run.finished_at >= backoff * 0.75
    assert classes(RIVERA) == {}  # the failed attempt changed nothing

    run_worker()  # too early: the retry is not due
    assert SyncRun.objects.count() == 1

    make_tasks_due()
    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.attempt == 2
    assert classes(RIVERA) == RIVERA_CLASSES
    assert task_statuses() == ["SUCCESSFUL", "SUCCESSFUL"]  # one task per attempt, none failed


def test_a_job_still_failing_after_its_last_attempt_is_recorded_as_failed(harbor, district_token, settings):
    settings.ROSTER_JOB_MAX_ATTEMPTS = 2
    harbor.state.add_fault("/v2.0/teachers/*", 503, times=None)

    job = enqueue(RIVERA)

    assert job.status == SyncJob.Status.FAILED
    assert job.attempt == 2
    assert job.error == "CleverUnavailable: HTTP 503 Service unavailable"
    assert list(SyncRun.objects.values_list("outcome", flat=True)) == [SyncRun.Outcome.FAILED] * 2
    assert job.last_run.error == "CleverUnavailable: HTTP 503 Service unavailable"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (401, "CleverUnauthorized: HTTP 401 Unauthorized: invalid or expired token"),
        (404, "CleverNotFound: HTTP 404 Resource not found"),
    ],
)
@with_worker
def test_a_permanent_failure_is_not_retried(harbor, district_token, database_tasks, kind, error):
    harbor.state.add_fault("/v2.0/teachers/*", kind, times=1)
    job = enqueue(RIVERA)

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.attempt == 1
    assert job.error == error
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    assert task_statuses() == ["SUCCESSFUL"]  # the task did its work: it recorded the failure; nothing queued


@with_worker
def test_a_teacher_who_needs_a_fresh_login_is_not_retried(harbor, database_tasks):
    job = enqueue(RIVERA)  # no district token, no teacher token

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.error.startswith("NeedsFreshLogin")
    assert DBTaskResult.objects.count() == 1
    assert not SyncRun.objects.exists()


@with_worker
def test_a_rate_limit_that_outlasts_the_client_defers_the_job_instead_of_failing_it(
    harbor, district_token, database_tasks
):
    # Clever asks us to come back in two minutes: longer than the client waits (CLEVER_RETRY_MAX_WAIT).
    harbor.state.add_fault("/v2.0/teachers/*", 429, headers={"Retry-After": "120"})
    job = enqueue(RIVERA)

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.QUEUED
    assert (job.attempt, job.deferrals) == (1, 1)  # not counted as a failed attempt
    assert job.run_after - job.last_run.finished_at >= timedelta(seconds=120)  # not before Clever said

    make_tasks_due()
    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert classes(RIVERA) == RIVERA_CLASSES


# --- The shared rate budget --------------------------------------------------------------


def test_two_clients_with_the_same_token_share_one_budget(clever_sandbox):
    token = clever_sandbox.state.district_token(demo.DISTRICT)
    fake = FakeClock(START)  # the start of a 60-second window
    first = RateBudgetThrottle(token=token, limit=3, window=60, clock=fake, sleep=fake.sleep)
    second = RateBudgetThrottle(token=token, limit=3, window=60, clock=fake, sleep=fake.sleep)
    a, b = CleverClient(token=token, throttle=first), CleverClient(token=token, throttle=second)
    with first, second, a, b:
        a.teacher(demo.ZOE_OBRIEN)
        a.teacher(demo.JOSE_NUNEZ)
        b.teacher(demo.LIAM_CHEN)
        assert fake.sleeps == []  # three requests fit in the window

        b.teacher(demo.RUTH_OKAFOR)  # the fourth must wait for the next window

    assert (first.waits, second.waits) == (0, 1)
    assert len(fake.sleeps) == 1
    assert 60 <= fake.sleeps[0] <= 61  # to the next window, plus at most a second of jitter
    assert clever_sandbox.state.count_calls("/v2.0/teachers/*") == 4
    # The budget is stored under a hash of the token, never the token.
    keys = set(RateBudget.objects.values_list("key", flat=True))
    assert keys == {hashlib.sha256(token.encode()).hexdigest()}
    assert RateBudget.objects.get(window_start=1_800_000_060).used == 1


def test_a_spent_budget_that_stays_spent_defers_instead_of_waiting_forever(clever_sandbox):
    token = clever_sandbox.state.district_token(demo.DISTRICT)
    fake = FakeClock(START)
    hog = RateBudgetThrottle(token=token, limit=1, window=60, clock=fake, sleep=fake.sleep)
    with hog, CleverClient(token=token, throttle=hog) as client:
        client.teacher(demo.ZOE_OBRIEN)

        def others_spend_it(seconds):  # another worker spends every window as soon as it opens
            fake.sleep(seconds)
            window_start = int(fake() // 60) * 60
            RateBudget.objects.update_or_create(key=hog.key, window_start=window_start, defaults={"used": 1})

        hog.sleep = others_spend_it
        with pytest.raises(CleverRateLimited, match="stayed spent"):
            client.teacher(demo.JOSE_NUNEZ)
    assert clever_sandbox.state.count_calls("/v2.0/teachers/*") == 1


def test_a_sync_within_the_shared_budget_never_meets_clevers_429(harbor, settings):
    # Clever (the sandbox) and our budget both allow 2 requests a minute, on one clock that moves
    # only when the throttle waits. Rivera's sync makes 6 requests: 3 windows, 2 waits.
    settings.CLEVER_SYNC_CONCURRENCY = 1  # one request at a time: the clock moves between them only
    fake = FakeClock(START)
    harbor.state.set_clock(fake)
    harbor.state.set_options(rate_limit=2, rate_limit_window=60)
    teacher = teacher_row(RIVERA)
    credentials = services.SyncCredentials(token=harbor.state.user_token(RIVERA), paginate=False)

    with RateBudgetThrottle(token=credentials.token, limit=2, window=60, clock=fake, sleep=fake.sleep) as throttle:
        run = services.roster_sync(
            teacher=teacher, credentials=credentials, trigger=SyncRun.Trigger.COMMAND, throttle=throttle
        )

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(RIVERA) == RIVERA_CLASSES
    assert [call.status for call in harbor.state.calls] == [200] * 6
    per_window = {}
    for call in harbor.state.calls:
        window = int(call.at - START) // 60
        per_window[window] = per_window.get(window, 0) + 1
    assert per_window == {0: 2, 1: 2, 2: 2}
    assert throttle.waits == 2


def test_every_request_a_job_makes_is_counted_in_its_tokens_shared_budget(harbor, settings):
    # One window longer than any test run (from 1970 to 2286), so every request of the job falls in it.
    settings.CLEVER_RATE_LIMIT_WINDOW = 10**10
    teacher = teacher_row(RIVERA)
    teacher.token = harbor.state.user_token(RIVERA)
    teacher.save()

    job = jobs.sync_job_enqueue(teacher=teacher, trigger=SyncRun.Trigger.COMMAND)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED, job.error
    budget = RateBudget.objects.get()
    assert (budget.key, budget.window_start, budget.used) == (hashlib.sha256(teacher.token.encode()).hexdigest(), 0, 6)


# --- Dead workers --------------------------------------------------------------------------


@with_worker
def test_a_job_left_running_by_a_dead_worker_is_run_again(harbor, district_token, database_tasks, settings):
    job = enqueue(RIVERA)
    task = DBTaskResult.objects.get()
    # What a worker that died mid-sync leaves behind: its task claimed, the job running, no more heartbeats.
    task.claim("worker-that-died")
    long_ago = timezone.now() - timedelta(seconds=settings.ROSTER_JOB_STALE_AFTER + 60)
    SyncJob.objects.filter(pk=job.pk).update(
        status=SyncJob.Status.RUNNING, task_id=str(task.id), started_at=long_ago, heartbeat_at=long_ago
    )
    run_worker()  # django-tasks-db on its own never runs a RUNNING task again
    assert SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.RUNNING

    output = run_command("--requeue-stale")

    assert "Found 1 job whose worker stopped" in output
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert task.exception_class_path == "rosters.job_runner.WorkerLost"
    job.refresh_from_db()
    assert (job.status, job.attempt) == (SyncJob.Status.QUEUED, 2)
    assert job.error.startswith("WorkerLost")

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert classes(RIVERA) == RIVERA_CLASSES
    assert "Found 0 jobs" in run_command("--requeue-stale")


def test_a_job_that_keeps_losing_its_worker_ends_failed(harbor, district_token, database_tasks, settings):
    job = enqueue(RIVERA)
    long_ago = timezone.now() - timedelta(seconds=settings.ROSTER_JOB_STALE_AFTER + 60)
    SyncJob.objects.filter(pk=job.pk).update(
        status=SyncJob.Status.RUNNING,
        task_id="not-a-task",
        attempt=settings.ROSTER_JOB_MAX_ATTEMPTS,
        heartbeat_at=long_ago,
    )

    run_command("--requeue-stale")

    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.error.startswith("WorkerLost")


def test_a_live_running_job_is_left_alone(harbor, district_token, database_tasks):
    job = enqueue(RIVERA)
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.RUNNING, heartbeat_at=timezone.now())

    assert "Found 0 jobs" in run_command("--requeue-stale")
    assert SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.RUNNING


@with_worker
def test_a_job_waits_while_another_job_syncs_the_same_teacher(harbor, district_token, database_tasks):
    teacher = teacher_row(RIVERA)
    SyncJob.objects.create(
        teacher=teacher, trigger=SyncRun.Trigger.COMMAND, status=SyncJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    job = enqueue(RIVERA)

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.deferrals, job.attempt) == (SyncJob.Status.QUEUED, 1, 1)
    assert job.run_after - job.requested_at >= timedelta(seconds=15)  # jobs.BUSY_DELAY: look again in 15 s
    assert not SyncRun.objects.exists()


# --- The login-time sync -----------------------------------------------------------------


def test_the_login_sync_stays_inline_by_default(harbor):
    teacher = teacher_row(RIVERA)

    run = jobs.teacher_login_sync(teacher=teacher, token=harbor.state.user_token(RIVERA))

    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert not SyncJob.objects.exists()


@with_worker
def test_a_background_login_sync_shows_updating_until_a_worker_is_done(harbor, database_tasks, settings, client):
    settings.ROSTER_LOGIN_SYNC = "background"
    user = UserFactory()
    OnboardingFactory(user=user, finished_at=timezone.now())  # so the onboarding gate lets them through
    teacher = teacher_row(RIVERA)
    teacher.user = user
    teacher.save()
    client.force_login(user)

    result = jobs.teacher_login_sync(teacher=teacher, token=harbor.state.user_token(RIVERA))

    assert result is None  # nothing ran yet
    page = client.get(reverse("rosters:classes"))
    assert "Updating your classes from Clever" in page.content.decode()

    run_worker()

    page = client.get(reverse("rosters:classes")).content.decode()
    assert "Updating your classes from Clever" not in page
    assert "Algebra I" in page
    run = SyncRun.objects.get()
    assert (run.trigger, run.outcome, run.requested_by) == (SyncRun.Trigger.LOGIN, SyncRun.Outcome.SUCCESS, user)
    assert harbor.state.count_calls("/v2.0/**", token_kind="user") == 6  # with the login's own token


def test_a_background_login_sync_never_raises(harbor, settings):
    settings.ROSTER_LOGIN_SYNC = "background"
    settings.TASKS = {"default": {"BACKEND": "rosters.no.such.Backend"}}
    teacher = teacher_row(RIVERA)

    assert jobs.teacher_login_sync(teacher=teacher, token="il-whatever") is None
    teacher.refresh_from_db()
    assert teacher.token == "il-whatever"  # the token is kept all the same


# --- Runs left "running" by a process that died ------------------------------------------------

T = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def run_started_at(teacher, started_at, **fields) -> SyncRun:
    run = SyncRun.objects.create(teacher=teacher, trigger=SyncRun.Trigger.LOGIN, **fields)
    SyncRun.objects.filter(pk=run.pk).update(started_at=started_at)
    run.refresh_from_db()
    return run


def test_a_run_left_running_is_marked_interrupted_once_past_the_bound(settings):
    assert settings.ROSTER_SYNC_RUN_STALE_AFTER == 15 * 60
    teacher = teacher_row(RIVERA)
    dead = run_started_at(teacher, T)
    finished = run_started_at(teacher, T - timedelta(hours=1), outcome=SyncRun.Outcome.SUCCESS, finished_at=T)

    assert services.sync_runs_close_stale(now=T + timedelta(minutes=15)) == 0
    assert SyncRun.objects.get(pk=dead.pk).outcome == SyncRun.Outcome.RUNNING

    assert services.sync_runs_close_stale(now=T + timedelta(minutes=15, seconds=1)) == 1
    dead.refresh_from_db()
    assert (dead.outcome, dead.finished_at) == (SyncRun.Outcome.FAILED, T + timedelta(minutes=15, seconds=1))
    assert dead.error == "Interrupted: the process running this sync stopped before it finished."
    assert dead.message == "The last update from Clever was interrupted. Please try again."
    assert SyncRun.objects.get(pk=finished.pk).outcome == SyncRun.Outcome.SUCCESS


def test_a_long_run_whose_job_still_beats_is_left_running(settings):
    teacher = teacher_row(RIVERA)
    run = run_started_at(teacher, T)
    now = T + timedelta(hours=1)
    SyncJob.objects.create(
        teacher=teacher, trigger=SyncRun.Trigger.LOGIN, status=SyncJob.Status.RUNNING, heartbeat_at=now
    )

    assert services.sync_runs_close_stale(now=now) == 0
    assert SyncRun.objects.get(pk=run.pk).outcome == SyncRun.Outcome.RUNNING


def test_the_stale_sweep_command_marks_runs_interrupted():
    teacher = teacher_row(RIVERA)
    run = run_started_at(teacher, timezone.now() - timedelta(hours=1))

    output = run_command("--requeue-stale")

    assert "Marked 1 sync run interrupted" in output
    assert SyncRun.objects.get(pk=run.pk).outcome == SyncRun.Outcome.FAILED
    assert "Marked 0 sync runs interrupted" in run_command("--requeue-stale")


def test_a_web_process_killed_mid_sync_leaves_a_run_the_teachers_next_sync_closes(harbor, district_token):
    # A login's inline sync was killed with its web process an hour ago: nothing else sweeps here.
    teacher = teacher_row(RIVERA)
    killed = run_started_at(teacher, timezone.now() - timedelta(hours=1))

    run = services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.COMMAND)

    assert run.outcome == SyncRun.Outcome.SUCCESS
    killed.refresh_from_db()
    assert killed.outcome == SyncRun.Outcome.FAILED
    assert killed.error.startswith("Interrupted")
    assert classes(RIVERA) == RIVERA_CLASSES


@with_worker
def test_a_worker_sweeps_runs_dead_processes_left(harbor, district_token, database_tasks, settings):
    other = teacher_row(OKORO)
    killed = run_started_at(other, timezone.now() - timedelta(hours=1))
    settings.ROSTER_JOB_STALE_AFTER = (
        0  # a worker sweeps every ROSTER_JOB_STALE_AFTER seconds: now, whatever ran before
    )
    enqueue(RIVERA)

    run_worker()

    assert SyncRun.objects.get(pk=killed.pk).outcome == SyncRun.Outcome.FAILED
