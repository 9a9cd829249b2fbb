"""
The data policy's purge: what `manage.py purge_data` deletes, kind by kind (docs/privacy.md).

`data_purge` decides what has expired and runs the deletes; the rows are deleted by the
module that writes their table (rosters, accounts, audit), never here. A dry run counts
what would go; `apply=True` deletes it, in batches:

- each batch is one short transaction: it locks up to `batch_size` candidate rows (on
  PostgreSQL skipping rows another purge or a sync holds), deletes them by primary key
  with the criteria read again (a student a sync restored meanwhile stays), and commits,
  so neither memory nor locks grow with the table;
- batches walk the primary key upwards, so a run reads each table about once;
- two purges at once take different rows, and a row already gone is counted by neither,
  so their counts add up to what one purge would have deleted; a second run finds nothing.

The kinds run in an order where none changes what a later kind counts (the records of
background work first, then the roster), and each roster kind leaves out what an earlier
kind owns (a disconnected district's students are that district's), so a dry run's numbers
are what `--apply` deletes. One exception, named in docs/privacy.md: rows that only become
eligible through an earlier kind's deletions (a teacher of another district who only
taught in the purged district's classes) are counted and deleted by the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts import services as account_services
from audit import selectors as audit_selectors
from audit.models import AuditEvent
from audit.services import audit_events_delete, audit_record
from rosters import job_runner, throttle
from rosters import selectors as roster_selectors
from rosters import services as roster_services
from rosters.models import Enrollment
from rosters.sync import rows as roster_rows
from rosters.teachers import teachers_delete

COMMAND = "purge_data"


@dataclass(frozen=True)
class PurgedKind:
    """One kind of expired data: why it goes, and how many rows of each table went (or would go)."""

    name: str  # a stable key, e.g. "archived_students"
    reason: str  # for people: what expired, and the setting that says when
    rows: dict[str, int] = field(default_factory=dict)  # "students" -> 3, "enrollments" -> 5

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class PurgeReport:
    applied: bool
    kinds: list[PurgedKind]

    @property
    def total(self) -> int:
        return sum(kind.total for kind in self.kinds)

    def summary(self) -> str:
        """Return the counts on one line (for the audit trail: no names, only numbers)."""
        parts = [
            f"{kind.name}: " + ", ".join(f"{count} {table}" for table, count in kind.rows.items())
            for kind in self.kinds
            if kind.total
        ]
        return "; ".join(parts) or "nothing expired"


def retention_windows() -> dict[str, int]:
    """Return the retention windows in days, by setting name (the policy page shows them)."""
    return {
        name: getattr(settings, name)
        for name in (
            "DATA_RETENTION_ARCHIVED_STUDENTS_DAYS",
            "DATA_RETENTION_DISCONNECTED_DAYS",
            "DATA_RETENTION_SYNC_RUNS_DAYS",
            "DATA_RETENTION_AUDIT_DAYS",
        )
    }


def data_purge(*, apply: bool, now: datetime, batch_size: int = 1000, command: str = COMMAND) -> PurgeReport:
    """Count (a dry run) or delete (`apply`) every kind of data past its window at `now`.

    With `apply`, one audit event records the counts, as `command`'s action (also when an
    error stops it part-way: what it deleted until then).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    purge = _Purge(apply=apply, now=now, batch_size=batch_size, command=command)
    report = PurgeReport(applied=apply, kinds=[])
    finished = False
    try:
        for kind in KINDS:
            report.kinds.append(kind(purge))
        finished = True
    finally:
        if apply:
            # Each batch commits on its own: a purge an error stopped records what it did delete.
            detail = report.summary() + ("" if finished else " (stopped by an error before the end)")
            audit_record(action=AuditEvent.Action.DATA_PURGED, command=command, detail=detail)
    return report


# --- How a kind is counted or deleted --------------------------------------------------------

# The tables a purge reports, by Django's model label; cascaded rows of other tables (a
# deleted teacher's section links, say) go with their row and are not counted.
TABLE_NAMES = {
    "rosters.SyncRun": "sync runs",
    "rosters.SyncJob": "sync jobs",
    "django_tasks_database.DBTaskResult": "task results",
    "rosters.RateBudget": "rate budgets",
    "audit.AuditEvent": "audit events",
    "rosters.DistrictToken": "districts",
    "rosters.Teacher": "teachers",
    "rosters.Section": "sections",
    "rosters.Student": "students",
    "rosters.Enrollment": "enrollments",
    "sessions.Session": "sessions",
}

Deleter = Callable[[QuerySet], dict[str, int]]


@dataclass
class _Purge:
    apply: bool
    now: datetime
    batch_size: int
    command: str

    def days_ago(self, setting: str) -> datetime:
        return self.now - timedelta(days=getattr(settings, setting))

    def kind(self, candidates: QuerySet, delete: Deleter, counted: dict[str, QuerySet]) -> dict[str, int]:
        """Count (dry run) or delete (apply) `candidates`; report the tables in `counted`.

        `counted`: model label -> the rows of that table a deletion takes (for the dry run).
        """
        if not self.apply:
            return {TABLE_NAMES[label]: rows.count() for label, rows in counted.items()}
        deleted = self.in_batches(candidates, delete)
        return {TABLE_NAMES[label]: deleted[label] for label in counted}

    def in_batches(self, candidates: QuerySet, delete: Deleter) -> Counter:
        """Delete `candidates` a batch at a time, each batch in its own transaction; return rows per label."""
        deleted = Counter()
        after = None
        while True:
            with transaction.atomic():
                batch = candidates.order_by("pk")
                if after is not None:
                    batch = batch.filter(pk__gt=after)
                # Locked rows are skipped: another purge is deleting them, or a sync is
                # changing them (and this run leaves them to the next one).
                batch = batch.select_for_update(skip_locked=True, of=("self",))
                pks = list(batch.values_list("pk", flat=True)[: self.batch_size])
                if not pks:
                    return deleted
                deleted.update(delete(candidates.filter(pk__in=pks)))
            after = pks[-1]


# --- The kinds, in the order they run ----------------------------------------------------------


@dataclass(frozen=True)
class _OldRows:
    """A kind that is only a table's rows older than a window: records of background work, audit events."""

    name: str
    setting: str  # the window, in days
    reason: str  # with %(days)d
    candidates: Callable[[datetime], QuerySet | None]  # cutoff -> the rows (None: no such table here)
    delete: Deleter

    def __call__(self, purge: _Purge) -> PurgedKind:
        reason = self.reason % {"days": getattr(settings, self.setting)}
        rows = self.candidates(purge.days_ago(self.setting))
        if rows is None:
            return PurgedKind(self.name, reason)
        return PurgedKind(self.name, reason, purge.kind(rows, self.delete, {rows.model._meta.label: rows}))


OLD_ROWS = [
    _OldRows(
        "sync_runs",
        "DATA_RETENTION_SYNC_RUNS_DAYS",
        _("roster syncs that started more than %(days)d days ago"),
        lambda cutoff: roster_selectors.sync_runs_finished_before(cutoff=cutoff),
        lambda batch: roster_services.sync_runs_delete(runs=batch),
    ),
    _OldRows(
        "sync_jobs",
        "DATA_RETENTION_SYNC_RUNS_DAYS",
        _("background sync jobs that ended more than %(days)d days ago"),
        lambda cutoff: roster_selectors.sync_jobs_finished_before(cutoff=cutoff),
        lambda batch: job_runner.sync_jobs_delete(jobs=batch),
    ),
    _OldRows(
        "task_results",
        "DATA_RETENTION_SYNC_RUNS_DAYS",
        _("finished background tasks older than %(days)d days"),
        lambda cutoff: job_runner.task_results_finished_before(cutoff=cutoff),
        lambda batch: job_runner.task_results_delete(results=batch),
    ),
    _OldRows(
        "rate_budgets",
        "DATA_RETENTION_SYNC_RUNS_DAYS",
        _("Clever request counts older than %(days)d days"),
        lambda cutoff: roster_selectors.rate_budgets_before(window_start=int(cutoff.timestamp())),
        lambda batch: throttle.rate_budgets_delete(budgets=batch),
    ),
    _OldRows(
        "audit_events",
        "DATA_RETENTION_AUDIT_DAYS",
        _("audit events older than %(days)d days"),
        lambda cutoff: audit_selectors.audit_events_before(cutoff=cutoff),
        lambda batch: audit_events_delete(events=batch),
    ),
]


def _expired_districts(purge: _Purge) -> QuerySet:
    return roster_selectors.districts_disconnected_before(cutoff=purge.days_ago("DATA_RETENTION_DISCONNECTED_DAYS"))


def _expired_district_ids(purge: _Purge) -> QuerySet:
    """Return the expired districts' ids as a subquery, read again by every statement that uses it.

    So a district that reconnects while a purge runs stops being deleted at the next batch.
    """
    return _expired_districts(purge).values("district_id")


def _disconnected_districts(purge: _Purge) -> PurgedKind:
    """A district disconnected longer than the window: everything only it held.

    Its students in no other district's class, its sections (with their enrollments), its
    teachers (a Clever-only account is deleted like any account; an account that also has a
    password stays, without its Clever identity and teacher data), and its token row.
    """
    days = settings.DATA_RETENTION_DISCONNECTED_DAYS
    reason = _("districts that disconnected the app in Clever more than %(days)d days ago") % {"days": days}
    districts = _expired_districts(purge)
    ids = _expired_district_ids(purge)
    sections = roster_selectors.district_sections(district_ids=ids)
    students = roster_selectors.students_only_in(sections=sections)
    teachers = roster_selectors.district_teachers(district_ids=ids)
    with_account = teachers.filter(user__isnull=False)
    if not purge.apply:
        clever_only = account_selectors.clever_only_accounts(teachers=with_account).count()
        return PurgedKind(
            "disconnected_districts",
            reason,
            {
                "districts": districts.count(),
                "teachers with no account": teachers.filter(user__isnull=True).count(),
                "accounts deleted": clever_only,
                "accounts kept without Clever": with_account.count() - clever_only,
                "sections": sections.count(),
                "students": students.count(),
                "enrollments": roster_selectors.enrollments_in(sections=sections).count(),
            },
        )
    now = purge.now
    deleted = purge.in_batches(students, lambda batch: roster_rows.students_delete(students=batch))
    deleted.update(purge.in_batches(sections, lambda batch: roster_rows.sections_delete(sections=batch, now=now)))
    deleted.update(purge.in_batches(with_account, lambda batch: _district_accounts_remove(purge, batch)))
    deleted.update(purge.in_batches(teachers.filter(user__isnull=True), lambda batch: teachers_delete(teachers=batch)))
    # A token goes last, once nothing of its district is left (a row a sync held stays for the next run).
    emptied = districts.exclude(district_id__in=teachers.values("district_id")).exclude(
        district_id__in=sections.values("district_id")
    )
    deleted.update(purge.in_batches(emptied, lambda batch: roster_services.district_tokens_delete(tokens=batch)))
    return PurgedKind(
        "disconnected_districts",
        reason,
        {
            "districts": deleted["rosters.DistrictToken"],
            "teachers with no account": deleted["rosters.Teacher"],
            "accounts deleted": deleted["accounts deleted"],
            "accounts kept without Clever": deleted["accounts kept without Clever"],
            "sections": deleted["rosters.Section"],
            "students": deleted["rosters.Student"],
            "enrollments": deleted["rosters.Enrollment"],
        },
    )


def _district_accounts_remove(purge: _Purge, teachers: QuerySet) -> dict[str, int]:
    """Remove a disconnected district's teachers who have an account, as the district's data policy asks."""
    removed = Counter()
    for teacher in teachers.select_related("user"):
        user = teacher.user
        if user.has_usable_password():
            account_services.clever_identity_remove(user=user, command=purge.command, now=purge.now)
            removed["accounts kept without Clever"] += 1
        else:
            account_services.user_delete(user=user, command=purge.command, now=purge.now)
            removed["accounts deleted"] += 1
    return removed


def _archived_students(purge: _Purge) -> PurgedKind:
    days = settings.DATA_RETENTION_ARCHIVED_STUDENTS_DAYS
    reason = _("students in no class of ours for more than %(days)d days") % {"days": days}
    students = roster_selectors.students_archived_before(
        cutoff=purge.days_ago("DATA_RETENTION_ARCHIVED_STUDENTS_DAYS")
    )
    enrollments = Enrollment.objects.filter(student__in=students)
    if _expired_districts(purge).exists():
        # Those only an expired district held are that kind's (its batches may have left some).
        # Checked first, so that the usual case, no such district, has a simple query per batch.
        district_sections = roster_selectors.district_sections(district_ids=_expired_district_ids(purge))
        students = students.exclude(roster_selectors.only_in_sections(sections=district_sections))
        enrollments = Enrollment.objects.filter(student__in=students).exclude(section__in=district_sections)
    counts = purge.kind(
        students,
        lambda batch: roster_rows.students_delete(students=batch),
        {"rosters.Student": students, "rosters.Enrollment": enrollments},
    )
    return PurgedKind("archived_students", reason, counts)


def _untaught_sections(purge: _Purge) -> PurgedKind:
    reason = _("classes no teacher teaches and no student is in any more")
    district_ids = _expired_district_ids(purge)
    sections = roster_selectors.sections_untaught_and_empty().exclude(district_id__in=district_ids)
    archived_students = roster_selectors.students_archived_before(
        cutoff=purge.days_ago("DATA_RETENTION_ARCHIVED_STUDENTS_DAYS")
    )
    # The enrollments of expired students are counted with them (the kind before this one).
    enrollments = Enrollment.objects.filter(section__in=sections).exclude(student__in=archived_students)
    counts = purge.kind(
        sections,
        lambda batch: roster_rows.sections_delete(sections=batch, now=purge.now),
        {"rosters.Section": sections, "rosters.Enrollment": enrollments},
    )
    return PurgedKind("untaught_sections", reason, counts)


def _placeholder_teachers(purge: _Purge) -> PurgedKind:
    reason = _("co-teachers who never signed in and no longer teach any class")
    teachers = roster_selectors.teachers_unclaimed_without_class().exclude(
        district_id__in=_expired_district_ids(purge)
    )
    counts = purge.kind(teachers, lambda batch: teachers_delete(teachers=batch), {"rosters.Teacher": teachers})
    return PurgedKind("placeholder_teachers", reason, counts)


def _expired_sessions(purge: _Purge) -> PurgedKind:
    """Sign-in sessions past their expiry: they hold who signed in, and a Clever login left waiting."""
    reason = _("sign-in sessions that have expired")
    sessions = Session.objects.filter(expire_date__lt=purge.now)
    counts = purge.kind(sessions, lambda batch: batch.delete()[1], {"sessions.Session": sessions})
    return PurgedKind("expired_sessions", reason, counts)


KINDS: list[Callable[[_Purge], PurgedKind]] = [
    *OLD_ROWS,
    _expired_sessions,
    _disconnected_districts,
    _archived_students,
    _untaught_sections,
    _placeholder_teachers,
]
