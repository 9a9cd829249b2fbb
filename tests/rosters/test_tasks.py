"""Background re-syncs (fleet jobs): enqueue, run, retry, defer, recover; over HTTP to the sandbox."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rosters import job_runner, jobs, tasks
from rosters.clever import CleverClient, CleverRateLimited
from rosters.models import RateBudget, SyncJob, SyncRun, Teacher
from rosters.throttle import RateBudgetThrottle
from sandbox import demo
from sandbox.generate import generate_roster
from tests.factories import OnboardingFactory, UserFactory

from .helpers import database_state, product_classes, sandbox_classes, teacher_row
from .jobs_helpers import make_tasks_due, run_worker, task_statuses

pytestmark = pytest.mark.django_db

# A worker closes the database connection between tasks, as a worker should; on PostgreSQL
# that would end a test's wrapping transaction, so tests that run one commit for real.
with_worker = pytest.mark.django_db(transaction=True)

DISTRICT_TEACHERS = [demo.ZOE_OBRIEN, demo.JOSE_NUNEZ, demo.RUTH_OKAFOR, demo.LIAM_CHEN, demo.AMELIE_DUBOIS]


def run_command(*args) -> str:
    out = StringIO()
    call_command("sync_rosters", *args, stdout=out)
    return out.getvalue()


def enqueue(clever_id, *, trigger=SyncRun.Trigger.COMMAND) -> SyncJob:
    job = jobs.sync_job_enqueue(teacher=teacher_row(clever_id), trigger=trigger)
    job.refresh_from_db()
    return job


# --- The immediate backend (the default): jobs run where they are enqueued -----------------


def test_an_enqueued_job_runs_at_once_with_the_immediate_backend_so_the_roster_arrives(clever_sandbox, district_token):
    job = enqueue(demo.ZOE_OBRIEN)

    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.attempt == 1
    assert job.last_run.outcome == SyncRun.Outcome.SUCCESS
    assert job.last_run.trigger == SyncRun.Trigger.COMMAND
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)


def test_a_second_job_for_a_teacher_synced_since_it_was_requested_changes_nothing(clever_sandbox, district_token):
    teacher = teacher_row(demo.ZOE_OBRIEN)
    requested_before = SyncJob.objects.create(
        teacher=teacher, trigger=SyncRun.Trigger.COMMAND, requested_at=timezone.now() - timedelta(minutes=5)
    )
    enqueue(demo.ZOE_OBRIEN)
    before = database_state()
    calls = clever_sandbox.state.count_calls("/v2.0/**")

    assert (
        job_runner.sync_job_run(job_id=requested_before.pk, task_id="t-dup", task=tasks.sync_teacher_job)
        == SyncJob.Status.SKIPPED
    )

    assert database_state() == before
    assert clever_sandbox.state.count_calls("/v2.0/**") == calls  # not one request to Clever
    assert SyncRun.objects.count() == 1


def test_running_the_same_job_again_is_harmless(clever_sandbox, district_token):
    job = enqueue(demo.ZOE_OBRIEN)
    before = database_state()

    assert (
        job_runner.sync_job_run(job_id=job.pk, task_id="a-second-delivery", task=tasks.sync_teacher_job)
        == SyncJob.Status.SUCCEEDED
    )

    assert database_state() == before
    assert SyncRun.objects.count() == 1


def test_the_fan_out_command_runs_inline_with_the_immediate_backend(clever_sandbox, district_token):
    for clever_id in DISTRICT_TEACHERS:
        teacher_row(clever_id)
    priya = teacher_row(demo.PRIYA_RAMAN, library=True)
    Teacher.objects.filter(pk=priya.pk).update(token=clever_sandbox.state.user_token(demo.PRIYA_RAMAN))

    output = run_command("--all", "--enqueue")

    # One job for the district (all five teachers at once), one for the Library teacher.
    assert "Enqueued 2 sync jobs. (1 for districts, 1 for teachers)" in output
    assert "succeeded 2, failed 0, skipped 0" in output
    for clever_id in [*DISTRICT_TEACHERS, demo.PRIYA_RAMAN]:
        assert product_classes(clever_id) == sandbox_classes(clever_sandbox, clever_id)


# --- The database backend: jobs wait for a worker ------------------------------------------


@with_worker
def test_the_fan_out_enqueues_one_job_per_teacher_for_the_workers(clever_sandbox, district_token, database_tasks):
    for clever_id in DISTRICT_TEACHERS:
        teacher_row(clever_id)

    output = run_command(*(arg for clever_id in DISTRICT_TEACHERS for arg in ("--teacher", clever_id)), "--enqueue")

    assert "Enqueued 5 sync jobs." in output
    assert SyncJob.objects.filter(status=SyncJob.Status.QUEUED).count() == 5
    assert task_statuses() == ["READY"] * 5
    assert not SyncRun.objects.exists()  # nothing ran yet: that is the workers' job

    run_worker()

    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    assert task_statuses() == ["SUCCESSFUL"] * 5
    for clever_id in DISTRICT_TEACHERS:
        assert product_classes(clever_id) == sandbox_classes(clever_sandbox, clever_id)


@with_worker
def test_a_district_job_waits_for_a_worker_and_syncs_the_whole_district(
    clever_sandbox, district_token, database_tasks
):
    output = run_command("--district", demo.DISTRICT, "--enqueue")

    assert "Enqueued 1 sync job. (1 for districts, 0 for teachers)" in output
    assert not SyncRun.objects.exists()

    run_worker()

    job = SyncJob.objects.get()
    assert (job.status, job.district_id, job.teacher_id) == (SyncJob.Status.SUCCEEDED, district_token.pk, None)
    assert job.last_run.district_id == district_token.pk
    # Every teacher of the district has their classes, though none of them has signed in.
    for clever_id in DISTRICT_TEACHERS:
        assert product_classes(clever_id) == sandbox_classes(clever_sandbox, clever_id)
    # Its requests went through the district token's rate budget.
    assert RateBudget.objects.filter(key=hashlib.sha256(district_token.token.encode()).hexdigest()).exists()


def test_enqueue_one_teacher_and_without_enqueue_the_command_still_syncs_inline(
    clever_sandbox, district_token, database_tasks
):
    teacher_row(demo.ZOE_OBRIEN)

    assert "Enqueued 1 sync job." in run_command("--teacher", demo.ZOE_OBRIEN, "--enqueue")
    assert "Synced 1, failed 0, skipped 0" in run_command("--teacher", demo.ZOE_OBRIEN)
    assert SyncJob.objects.get().status == SyncJob.Status.QUEUED  # the inline sync used no job


def test_enqueue_and_dry_run_do_not_mix(clever_sandbox, district_token):
    teacher_row(demo.ZOE_OBRIEN)
    with pytest.raises(CommandError, match="cannot be combined"):
        run_command("--all", "--enqueue", "--dry-run")


# --- Retries -------------------------------------------------------------------------------


def test_a_job_that_fails_once_is_retried_inline_and_succeeds(clever_sandbox, district_token):
    # Four 503s use up the client's own four attempts once; the job's second attempt gets through.
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=4)

    job = enqueue(demo.ZOE_OBRIEN)

    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.attempt == 2
    runs = list(SyncRun.objects.order_by("pk"))
    assert [run.outcome for run in runs] == [SyncRun.Outcome.FAILED, SyncRun.Outcome.SUCCESS]
    assert "CleverUnavailable" in runs[0].error
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)


@with_worker
def test_a_failed_attempt_is_retried_later_with_backoff_by_the_workers(
    clever_sandbox, district_token, database_tasks, settings
):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=4)
    job = enqueue(demo.ZOE_OBRIEN)

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.QUEUED
    assert job.attempt == 2
    assert "CleverUnavailable" in job.error
    backoff = timedelta(seconds=settings.ROSTER_JOB_RETRY_DELAY)
    assert job.run_after > timezone.now() + backoff * 0.5  # not before the back-off
    assert product_classes(demo.ZOE_OBRIEN) == {}  # the failed attempt changed nothing

    run_worker()  # too early: the retry is not due
    assert SyncRun.objects.count() == 1

    make_tasks_due()
    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.attempt == 2
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert task_statuses() == ["SUCCESSFUL", "SUCCESSFUL"]  # one task per attempt, none failed


def test_a_job_still_failing_after_its_last_attempt_is_recorded_as_failed(clever_sandbox, district_token, settings):
    settings.ROSTER_JOB_MAX_ATTEMPTS = 2
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=None)

    job = enqueue(demo.ZOE_OBRIEN)

    assert job.status == SyncJob.Status.FAILED
    assert job.attempt == 2
    assert "CleverUnavailable" in job.error
    assert list(SyncRun.objects.values_list("outcome", flat=True)) == [SyncRun.Outcome.FAILED] * 2
    assert job.last_run.error.startswith("CleverUnavailable")


@pytest.mark.parametrize(("kind", "error"), [(401, "CleverUnauthorized"), (404, "CleverNotFound")])
@with_worker
def test_a_permanent_failure_is_not_retried(clever_sandbox, district_token, database_tasks, kind, error):
    clever_sandbox.state.add_fault("/v2.0/teachers/*", kind, times=1)
    job = enqueue(demo.ZOE_OBRIEN)

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.attempt == 1
    assert job.error.startswith(error)
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    assert task_statuses() == ["SUCCESSFUL"]  # the task did its work: it recorded the failure; nothing queued


@with_worker
def test_a_teacher_who_needs_a_fresh_login_is_not_retried(clever_sandbox, database_tasks):
    job = enqueue(demo.ZOE_OBRIEN)  # no district token, no teacher token

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.error.startswith("NeedsFreshLogin")
    assert DBTaskResult.objects.count() == 1
    assert not SyncRun.objects.exists()


@with_worker
def test_a_rate_limit_that_outlasts_the_client_defers_the_job_instead_of_failing_it(
    clever_sandbox, district_token, database_tasks
):
    # Clever asks us to come back in two minutes: longer than the client waits (CLEVER_RETRY_MAX_WAIT).
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 429, reset_in=120)
    job = enqueue(demo.ZOE_OBRIEN)

    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.QUEUED
    assert (job.attempt, job.deferrals) == (1, 1)  # not counted as a failed attempt
    assert job.run_after > timezone.now() + timedelta(seconds=100)

    make_tasks_due()
    run_worker()

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)


# --- The shared rate budget --------------------------------------------------------------


class FakeTime:
    """A clock that only moves when someone sleeps: counts, not wall-clock time."""

    def __init__(self, start: float):
        self.now = start
        self.sleeps = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_two_clients_with_the_same_token_share_one_budget(clever_sandbox):
    token = clever_sandbox.state.district_token(demo.DISTRICT)
    fake = FakeTime(start=1_800_000_000.0)  # the start of a 60-second window
    first = RateBudgetThrottle(token=token, limit=3, window=60, clock=fake.clock, sleep=fake.sleep)
    second = RateBudgetThrottle(token=token, limit=3, window=60, clock=fake.clock, sleep=fake.sleep)
    a, b = CleverClient(token=token, throttle=first), CleverClient(token=token, throttle=second)
    with first, second, a, b:
        a.teacher(demo.ZOE_OBRIEN)
        a.teacher(demo.JOSE_NUNEZ)
        b.teacher(demo.LIAM_CHEN)
        assert fake.sleeps == []  # three requests fit in the window

        b.teacher(demo.RUTH_OKAFOR)  # the fourth must wait for the next window

    assert (first.waits, second.waits) == (0, 1)
    assert len(fake.sleeps) == 1
    assert fake.sleeps[0] >= 60
    assert clever_sandbox.state.count_calls("/v2.0/teachers/*") == 4
    # The budget is stored under a hash of the token, never the token.
    keys = set(RateBudget.objects.values_list("key", flat=True))
    assert keys == {hashlib.sha256(token.encode()).hexdigest()}
    assert RateBudget.objects.get(window_start=1_800_000_060).used == 1


def test_a_spent_budget_that_stays_spent_defers_instead_of_waiting_forever(clever_sandbox):
    token = clever_sandbox.state.district_token(demo.DISTRICT)
    fake = FakeTime(start=1_800_000_000.0)
    hog = RateBudgetThrottle(token=token, limit=1, window=60, clock=fake.clock, sleep=fake.sleep)
    with hog, CleverClient(token=token, throttle=hog) as client:
        client.teacher(demo.ZOE_OBRIEN)
        # Another worker spends every window as soon as it opens.
        original_sleep = fake.sleep

        def others_spend_it(seconds):
            original_sleep(seconds)
            window_start = int(fake.now // 60) * 60
            RateBudget.objects.update_or_create(key=hog.key, window_start=window_start, defaults={"used": 1})

        hog.sleep = others_spend_it
        with pytest.raises(CleverRateLimited, match="stayed spent"):
            client.teacher(demo.JOSE_NUNEZ)
    assert clever_sandbox.state.count_calls("/v2.0/teachers/*") == 1


def test_a_job_keeps_within_the_shared_budget_and_never_meets_a_429(clever_sandbox, settings):
    # One teacher with ten sections: 13 requests, with a budget of 4 a second. The sandbox
    # allows 8 a second, so a request counted just before a window turns still fits.
    roster = generate_roster(teachers=1, sections_per_teacher=10, students_per_section=3, seed=11)
    clever_sandbox.state.load(roster)
    clever_sandbox.state.set_options(rate_limit=8, rate_limit_window=1)
    settings.CLEVER_RATE_LIMIT, settings.CLEVER_RATE_LIMIT_WINDOW = 4, 1
    teacher = Teacher.objects.create(clever_id=roster["teachers"][0]["id"], district_id=roster["districts"][0]["id"])
    teacher.token = clever_sandbox.state.user_token(teacher.clever_id)
    teacher.save()

    job = jobs.sync_job_enqueue(teacher=teacher, trigger=SyncRun.Trigger.COMMAND)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED, job.error
    calls = [call for call in clever_sandbox.state.calls if call.path.startswith("/v2.0/")]
    assert len(calls) == 13
    assert [call.status for call in calls if call.status == 429] == []
    per_window = {}
    for call in calls:
        per_window[int(call.at)] = per_window.get(int(call.at), 0) + 1
    assert max(per_window.values()) <= 8
    assert len(per_window) >= 4  # 13 requests at 4 per window span at least four windows


# --- Dead workers --------------------------------------------------------------------------


@with_worker
def test_a_job_left_running_by_a_dead_worker_is_run_again(clever_sandbox, district_token, database_tasks, settings):
    job = enqueue(demo.ZOE_OBRIEN)
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
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert "Found 0 jobs" in run_command("--requeue-stale")


def test_a_job_that_keeps_losing_its_worker_ends_failed(clever_sandbox, district_token, database_tasks, settings):
    job = enqueue(demo.ZOE_OBRIEN)
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


def test_a_live_running_job_is_left_alone(clever_sandbox, district_token, database_tasks):
    job = enqueue(demo.ZOE_OBRIEN)
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.RUNNING, heartbeat_at=timezone.now())

    assert "Found 0 jobs" in run_command("--requeue-stale")
    assert SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.RUNNING


@with_worker
def test_a_job_waits_while_another_job_syncs_the_same_teacher(clever_sandbox, district_token, database_tasks):
    teacher = teacher_row(demo.ZOE_OBRIEN)
    SyncJob.objects.create(
        teacher=teacher, trigger=SyncRun.Trigger.COMMAND, status=SyncJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    job = enqueue(demo.ZOE_OBRIEN)

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.deferrals, job.attempt) == (SyncJob.Status.QUEUED, 1, 1)
    assert job.run_after > timezone.now()
    assert not SyncRun.objects.exists()


# --- The login-time sync -----------------------------------------------------------------


def test_the_login_sync_stays_inline_by_default(clever_sandbox):
    teacher = teacher_row(demo.ZOE_OBRIEN)

    run = jobs.teacher_login_sync(teacher=teacher, token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN))

    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert not SyncJob.objects.exists()


@with_worker
def test_a_background_login_sync_shows_updating_until_a_worker_is_done(
    clever_sandbox, database_tasks, settings, client
):
    settings.ROSTER_LOGIN_SYNC = "background"
    user = UserFactory()
    OnboardingFactory(user=user, finished_at=timezone.now())  # so the onboarding gate lets them through
    teacher = teacher_row(demo.ZOE_OBRIEN)
    teacher.user = user
    teacher.save()
    client.force_login(user)

    result = jobs.teacher_login_sync(teacher=teacher, token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN))

    assert result is None  # nothing ran yet
    page = client.get(reverse("rosters:classes"))
    assert "Updating your classes from Clever" in page.content.decode()

    run_worker()

    page = client.get(reverse("rosters:classes")).content.decode()
    assert "Updating your classes from Clever" not in page
    assert "Algebra I" in page
    run = SyncRun.objects.get()
    assert (run.trigger, run.outcome, run.requested_by) == (SyncRun.Trigger.LOGIN, SyncRun.Outcome.SUCCESS, user)
    assert clever_sandbox.state.count_calls("/v2.0/**", token_kind="user") > 0  # with the login's own token


def test_a_background_login_sync_never_raises(clever_sandbox, settings):
    settings.ROSTER_LOGIN_SYNC = "background"
    settings.TASKS = {"default": {"BACKEND": "rosters.no.such.Backend"}}
    teacher = teacher_row(demo.ZOE_OBRIEN)

    assert jobs.teacher_login_sync(teacher=teacher, token="il-whatever") is None
    teacher.refresh_from_db()
    assert teacher.token == "il-whatever"  # the token is kept all the same
