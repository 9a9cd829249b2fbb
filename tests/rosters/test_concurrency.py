"""Syncs racing each other on PostgreSQL end as one sync would: no duplicates, nothing lost."""

import threading

import pytest
from django.db import connection, connections

from rosters.models import Enrollment, SectionTeacher, Student, SyncRun, Teacher
from sandbox import demo

from .helpers import product_classes, sandbox_classes, sync, teacher_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and real concurrency")


def _at_once(sandbox, clever_ids):
    barrier = threading.Barrier(len(clever_ids))
    runs, errors = [], []

    def work(clever_id):
        try:
            barrier.wait()
            runs.append(sync(sandbox, clever_id))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(clever_id,)) for clever_id in clever_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return runs


def _no_duplicates():
    assert Student.objects.count() == Student.objects.values("clever_id").distinct().count()
    assert Teacher.objects.count() == Teacher.objects.values("clever_id").distinct().count()
    pairs = Enrollment.objects.values_list("section_id", "student_id")
    assert len(pairs) == len(set(pairs))


def test_two_syncs_of_one_teacher_at_once_end_as_one(clever_sandbox):
    teacher_row(demo.ZOE_OBRIEN)

    runs = _at_once(clever_sandbox, [demo.ZOE_OBRIEN, demo.ZOE_OBRIEN])

    assert [run.outcome for run in runs] == [SyncRun.Outcome.SUCCESS] * 2
    _no_duplicates()
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert sorted(run.created > 0 for run in runs) == [False, True]  # the second found the work done


def test_co_teachers_sharing_a_section_and_a_student_synced_at_once(clever_sandbox):
    teacher_row(demo.ZOE_OBRIEN)
    teacher_row(demo.JOSE_NUNEZ)

    runs = _at_once(clever_sandbox, [demo.ZOE_OBRIEN, demo.JOSE_NUNEZ])

    assert [run.outcome for run in runs] == [SyncRun.Outcome.SUCCESS] * 2, [run.error for run in runs]
    _no_duplicates()
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert product_classes(demo.JOSE_NUNEZ) == sandbox_classes(clever_sandbox, demo.JOSE_NUNEZ)
    assert SectionTeacher.objects.filter(section__clever_id=demo.STEM_LAB).count() == 2
    assert Student.objects.filter(clever_id=demo.MAYA_RODRIGUEZ).count() == 1
