"""Syncs racing each other on PostgreSQL end as one sync would: no duplicates, nothing lost."""

import contextlib
import threading

import pytest
from django.db import connection, connections

from rosters.models import Enrollment, SectionTeacher, Student, SyncRun, Teacher
from sandbox import demo

from .helpers import at_once, product_classes, sandbox_classes, sync, teacher_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and real concurrency")


def _at_once(sandbox, clever_ids):
    return at_once(lambda clever_id: sync(sandbox, clever_id), clever_ids)


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


def test_a_sync_commits_while_a_co_teachers_own_sync_is_under_way(clever_sandbox):
    """Linking a co-teacher must not wait for that co-teacher's own sync: co-teachers log in at once.

    A sync links every teacher of its sections, so its commit checks their Teacher rows (a foreign
    key, FOR KEY SHARE). A sync locked its own Teacher row FOR UPDATE, which blocks that check: two
    co-teachers syncing at once deadlocked, and PostgreSQL aborted one of them after a second.
    """
    teacher_row(demo.ZOE_OBRIEN)
    teacher_row(demo.JOSE_NUNEZ)
    nunez_holds_his_row, release_nunez = threading.Event(), threading.Event()
    runs, errors = {}, []

    def pause_before_sections(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "rosters_section"') and not nunez_holds_his_row.is_set():
            nunez_holds_his_row.set()  # his transaction has locked and updated his Teacher row
            release_nunez.wait(timeout=30)
        return execute(sql, params, many, context)

    def work(clever_id, wrapper=None):
        try:
            with connection.execute_wrapper(wrapper) if wrapper else contextlib.nullcontext():
                runs[clever_id] = sync(clever_sandbox, clever_id)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    nunez = threading.Thread(target=work, args=(demo.JOSE_NUNEZ, pause_before_sections))
    nunez.start()
    assert nunez_holds_his_row.wait(timeout=30)
    obrien = threading.Thread(target=work, args=(demo.ZOE_OBRIEN,))
    obrien.start()
    obrien.join(timeout=10)
    obrien_finished_first = not obrien.is_alive()
    release_nunez.set()
    obrien.join()
    nunez.join()

    assert not errors, errors
    assert obrien_finished_first, "O'Brien's sync waited for her co-teacher's sync to finish"
    assert {run.outcome for run in runs.values()} == {SyncRun.Outcome.SUCCESS}, [r.error for r in runs.values()]
    _no_duplicates()
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert product_classes(demo.JOSE_NUNEZ) == sandbox_classes(clever_sandbox, demo.JOSE_NUNEZ)
    assert SectionTeacher.objects.filter(section__clever_id=demo.STEM_LAB).count() == 2
