"""Syncs racing each other on PostgreSQL end as one sync would: no duplicates, nothing lost."""

import contextlib
import threading

import pytest
from django.db import connection, connections

from rosters.models import Enrollment, SectionTeacher, Student, SyncRun, Teacher
from tests.fixtures import ADA, BEN, OKORO, RIVERA, STEM_LAB

from .helpers import OKORO_CLASSES, RIVERA_CLASSES, at_once, classes, sync, teacher_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

HANG_GUARD = 60.0  # seconds before a test that is stuck gives up; never what decides a verdict


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


def test_two_syncs_of_one_teacher_at_once_end_as_one(harbor):
    teacher_row(RIVERA)

    runs = _at_once(harbor, [RIVERA, RIVERA])

    assert [run.outcome for run in runs] == [SyncRun.Outcome.SUCCESS] * 2
    _no_duplicates()
    assert classes(RIVERA) == RIVERA_CLASSES
    assert Student.objects.count() == 8
    assert sorted(run.created > 0 for run in runs) == [False, True]  # the second found the work done


def test_co_teachers_sharing_a_section_and_a_student_synced_at_once(harbor):
    teacher_row(RIVERA)
    teacher_row(OKORO)

    runs = _at_once(harbor, [RIVERA, OKORO])

    assert [run.outcome for run in runs] == [SyncRun.Outcome.SUCCESS] * 2, [run.error for run in runs]
    _no_duplicates()
    assert classes(RIVERA) == RIVERA_CLASSES
    assert classes(OKORO) == OKORO_CLASSES
    assert SectionTeacher.objects.filter(section__clever_id=STEM_LAB).count() == 2
    assert Student.objects.filter(clever_id__in=[ADA, BEN]).count() == 2  # each in two classes, one row each


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _waits_on_a_lock(pid: int) -> bool:
    """Return whether that database session is blocked on a lock another transaction holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_a_sync_commits_while_a_co_teachers_own_sync_is_under_way(harbor):
    """Linking a co-teacher must not wait for that co-teacher's own sync: co-teachers log in at once.

    A sync links every teacher of its sections, so its commit checks their Teacher rows (a foreign
    key, FOR KEY SHARE). A sync locked its own Teacher row FOR UPDATE, which blocks that check: two
    co-teachers syncing at once deadlocked, and PostgreSQL aborted one of them after a second.

    The verdict is what PostgreSQL says Rivera's session is doing while Okoro's transaction holds
    its locks: finished, or waiting on a lock (which, with Okoro paused, it would do forever).
    """
    teacher_row(RIVERA)
    teacher_row(OKORO)
    okoro_holds_his_row, release_okoro = threading.Event(), threading.Event()
    rivera_started = threading.Event()
    runs, errors, pids = {}, [], {}

    def pause_before_sections(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "rosters_section"') and not okoro_holds_his_row.is_set():
            okoro_holds_his_row.set()  # his transaction has locked and updated his Teacher row
            release_okoro.wait(timeout=HANG_GUARD)
        return execute(sql, params, many, context)

    def work(clever_id, wrapper=None):
        try:
            pids[clever_id] = _backend_pid()
            if clever_id == RIVERA:
                rivera_started.set()
            with connection.execute_wrapper(wrapper) if wrapper else contextlib.nullcontext():
                runs[clever_id] = sync(harbor, clever_id)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    okoro = threading.Thread(target=work, args=(OKORO, pause_before_sections))
    okoro.start()
    assert okoro_holds_his_row.wait(timeout=HANG_GUARD)
    rivera = threading.Thread(target=work, args=(RIVERA,))
    rivera.start()
    assert rivera_started.wait(timeout=HANG_GUARD)
    blocked = False
    for _ in range(int(HANG_GUARD / 0.02)):
        if not rivera.is_alive():
            break
        if _waits_on_a_lock(pids[RIVERA]):
            blocked = True
            break
        rivera.join(timeout=0.02)
    else:
        pytest.fail("Rivera's sync neither finished nor waited on a lock")
    release_okoro.set()
    rivera.join()
    okoro.join()

    assert not errors, errors
    assert not blocked, "Rivera's sync waited for her co-teacher's sync to finish"
    assert {run.outcome for run in runs.values()} == {SyncRun.Outcome.SUCCESS}, [r.error for r in runs.values()]
    _no_duplicates()
    assert classes(RIVERA) == RIVERA_CLASSES
    assert classes(OKORO) == OKORO_CLASSES
    assert SectionTeacher.objects.filter(section__clever_id=STEM_LAB).count() == 2
