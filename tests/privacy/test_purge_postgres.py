"""Two purges at once on PostgreSQL: each expired row is deleted once, by one of them, and neither fails."""

import threading

import pytest
from django.db import connection, connections

from privacy.services import data_purge
from rosters.models import Enrollment, Student, SyncRun
from tests.factories import EnrollmentFactory, SectionFactory, SectionTeacherFactory, StudentFactory, TeacherFactory

from .world import NOW, days_ago

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.usefixtures("default_windows"),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and real concurrency")


def purges_at_once(count: int, *, batch_size: int):
    barrier = threading.Barrier(count)
    reports, errors = [], []

    def work():
        try:
            barrier.wait()
            reports.append(data_purge(apply=True, now=NOW, batch_size=batch_size))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return reports


def test_two_purges_at_once_delete_each_row_once():
    teacher = TeacherFactory()
    math = SectionFactory()
    SectionTeacherFactory(section=math, teacher=teacher)
    for _ in range(120):  # archived 100 days ago, each with one past enrollment
        EnrollmentFactory(section=math, student=StudentFactory(archived_at=days_ago(100)), removed_at=days_ago(100))
    EnrollmentFactory(section=math, student=StudentFactory(first_name="Current"))
    for _ in range(40):
        run = SyncRun.objects.create(teacher=teacher, trigger=SyncRun.Trigger.COMMAND, outcome="success")
        SyncRun.objects.filter(pk=run.pk).update(started_at=days_ago(31))

    reports = purges_at_once(2, batch_size=7)

    def summed(kind, table):
        return sum(next(k for k in report.kinds if k.name == kind).rows[table] for report in reports)

    assert summed("archived_students", "students") == 120
    assert summed("archived_students", "enrollments") == 120
    assert summed("sync_runs", "sync runs") == 40
    assert list(Student.objects.values_list("first_name", flat=True)) == ["Current"]
    assert Enrollment.objects.count() == 1
    assert SyncRun.objects.count() == 0
