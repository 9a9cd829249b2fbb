"""A small world with one row of every kind the purge deletes, and one just inside each window.

Names say what each row is there to show; the purge's expected answer is written out in the
tests, from the dates below and the default windows (students 90 days, disconnected
districts 30, records of background work 30, the audit trail 365), never computed.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.sessions.models import Session
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from rosters.models import DistrictToken, RateBudget, SyncJob, SyncRun
from tests.factories import (
    AnswerFactory,
    CleverSocialAccountFactory,
    EnrollmentFactory,
    OnboardingFactory,
    SectionFactory,
    SectionTeacherFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
DISTRICT_GONE = "d15c0000000000000000a001"  # disconnected 31 days ago: purged
DISTRICT_WAITING = "d15c0000000000000000a002"  # disconnected 29 days ago: kept
DISTRICT_HERE = "d15c0000000000000000a003"  # connected


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass
class World:
    teacher: object  # an active teacher with an account, in DISTRICT_HERE


def clever_account(*, district_id: str, first_name: str, password: bool):
    """An account with a Clever identity and teacher row; `password`: it can also sign in without Clever."""
    user = UserFactory(first_name=first_name, last_name="Teacher")
    if not password:
        user.set_unusable_password()
        user.save()
    account = CleverSocialAccountFactory(user=user)
    teacher = TeacherFactory(clever_id=account.uid, user=user, district_id=district_id, first_name=first_name)
    return user, teacher


def district(district_id: str, *, disconnected_days_ago: float | None = None) -> DistrictToken:
    """A district's token: connected, or disconnected that many days ago."""
    if disconnected_days_ago is None:
        return DistrictToken.objects.create(district_id=district_id, token=f"t-{district_id}")
    return DistrictToken.objects.create(
        district_id=district_id,
        token=f"t-{district_id}",
        status=DistrictToken.Status.DISCONNECTED,
        disconnected_at=days_ago(disconnected_days_ago),
    )


def enroll(section, student, *, removed: datetime | None = None):
    return EnrollmentFactory(section=section, student=student, removed_at=removed)


def build_world() -> World:
    # --- The roster of a district still connected ---
    district(DISTRICT_HERE)
    _user, active = clever_account(district_id=DISTRICT_HERE, first_name="Active", password=False)
    math = SectionFactory(name="Math", district_id=DISTRICT_HERE)
    SectionTeacherFactory(section=math, teacher=active)
    SectionTeacherFactory(section=math, teacher=TeacherFactory(first_name="CoTeacher", district_id=DISTRICT_HERE))
    taught_empty = SectionFactory(name="Taught, nobody in it", district_id=DISTRICT_HERE)
    SectionTeacherFactory(section=taught_empty, teacher=active)
    untaught = SectionFactory(name="Untaught and empty", district_id=DISTRICT_HERE)
    untaught_current = SectionFactory(name="Untaught, a student still in it", district_id=DISTRICT_HERE)
    TeacherFactory(first_name="Placeholder", district_id=DISTRICT_HERE)  # no account, no class: purged

    ada = StudentFactory(first_name="Ada")  # current in Math
    shared = StudentFactory(first_name="Shared")  # current in Math, removed from the untaught class
    gone = StudentFactory(first_name="Gone", archived_at=days_ago(91))
    recent = StudentFactory(first_name="Recent", archived_at=days_ago(89))
    enroll(math, ada)
    enroll(math, shared)
    enroll(untaught, shared, removed=days_ago(200))
    enroll(math, gone, removed=days_ago(91))
    enroll(untaught, gone, removed=days_ago(95))
    enroll(math, recent, removed=days_ago(89))
    enroll(untaught_current, StudentFactory(first_name="StillThere"))

    # --- A district disconnected 31 days ago ---
    district(DISTRICT_GONE, disconnected_days_ago=31)
    clever_only_user, clever_only = clever_account(district_id=DISTRICT_GONE, first_name="CleverOnly", password=False)
    AnswerFactory(onboarding=OnboardingFactory(user=clever_only_user), value="an answer")
    _merged_user, merged = clever_account(district_id=DISTRICT_GONE, first_name="Merged", password=True)
    gone_class = SectionFactory(name="Gone district class", district_id=DISTRICT_GONE)
    SectionTeacherFactory(section=gone_class, teacher=clever_only)
    SectionTeacherFactory(section=gone_class, teacher=TeacherFactory(first_name="GoneCo", district_id=DISTRICT_GONE))
    gone_other = SectionFactory(name="Gone district other class", district_id=DISTRICT_GONE)
    SectionTeacherFactory(section=gone_other, teacher=merged)
    enroll(gone_class, StudentFactory(first_name="DistrictOnly"))
    both = StudentFactory(first_name="Both")  # also in Math: stays, still current there
    enroll(gone_class, both)
    enroll(math, both)
    moved = StudentFactory(first_name="Moved")  # current only in the gone district: stays, archived
    enroll(gone_class, moved)
    enroll(math, moved, removed=days_ago(300))

    # --- A district disconnected 29 days ago: inside its window ---
    district(DISTRICT_WAITING, disconnected_days_ago=29)
    waiting_class = SectionFactory(name="Waiting district class", district_id=DISTRICT_WAITING)
    SectionTeacherFactory(
        section=waiting_class, teacher=TeacherFactory(first_name="Waiting", district_id=DISTRICT_WAITING)
    )
    enroll(waiting_class, StudentFactory(first_name="WaitingStudent"))

    # --- Records of background work and the audit trail ---
    for started, outcome in (
        (31, SyncRun.Outcome.SUCCESS),
        (29, SyncRun.Outcome.FAILED),
        (40, SyncRun.Outcome.RUNNING),
    ):
        run = SyncRun.objects.create(teacher=active, trigger=SyncRun.Trigger.COMMAND, outcome=outcome)
        SyncRun.objects.filter(pk=run.pk).update(started_at=days_ago(started))
    SyncJob.objects.create(
        teacher=active,
        trigger="command",
        status=SyncJob.Status.SUCCEEDED,
        requested_at=days_ago(32),
        finished_at=days_ago(31),
    )
    SyncJob.objects.create(
        teacher=active,
        trigger="command",
        status=SyncJob.Status.FAILED,
        requested_at=days_ago(32),
        finished_at=days_ago(29),
    )
    SyncJob.objects.create(teacher=active, trigger="command", status=SyncJob.Status.QUEUED, requested_at=days_ago(40))
    for status, finished in (("SUCCESSFUL", days_ago(31)), ("FAILED", days_ago(29)), ("READY", None)):
        DBTaskResult.objects.create(
            status=status,
            finished_at=finished,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="rosters.tasks.sync_teacher_job",
            backend_name="default",
            run_after=days_ago(40),
        )
    RateBudget.objects.create(key="a" * 64, window_start=int(days_ago(31).timestamp()), used=3)
    RateBudget.objects.create(key="b" * 64, window_start=int(days_ago(1).timestamp()), used=3)
    AuditEvent.objects.create(action=AuditEvent.Action.PLAN_CHANGED, actor="user:1", at=days_ago(366))
    AuditEvent.objects.create(action=AuditEvent.Action.PLAN_CHANGED, actor="user:1", at=days_ago(364))
    Session.objects.create(session_key="expired" + "x" * 25, session_data="{}", expire_date=NOW - timedelta(seconds=1))
    Session.objects.create(session_key="current" + "x" * 25, session_data="{}", expire_date=NOW + timedelta(hours=1))
    return World(teacher=active)


EXPECTED = {
    "sync_runs": {"sync runs": 1},
    "sync_jobs": {"sync jobs": 1},
    "task_results": {"task results": 1},
    "rate_budgets": {"rate budgets": 1},
    "audit_events": {"audit events": 1},
    "expired_sessions": {"sessions": 1},
    "disconnected_districts": {
        "districts": 1,
        "teachers with no account": 1,
        "accounts deleted": 1,
        "accounts kept without Clever": 1,
        "sections": 2,
        "students": 1,
        "enrollments": 3,
    },
    "archived_students": {"students": 1, "enrollments": 2},
    "untaught_sections": {"sections": 1, "enrollments": 1},
    "placeholder_teachers": {"teachers": 1},
}
