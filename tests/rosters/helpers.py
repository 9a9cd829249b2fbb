"""Helpers for roster tests: sync a sandbox teacher, read back what the product holds, run syncs at once.

Expected values are never computed here or by the sandbox: tests write them out, read off
the fixture roster they serve (tests/fixtures).
"""

import threading
from collections.abc import Callable, Iterable

from django.db import connections

from rosters import services
from rosters.models import Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher
from tests.fixtures import HARBOR


def teacher_row(clever_id: str, *, library: bool = False, district_id: str = HARBOR) -> Teacher:
    """Return the Teacher row a Clever login would have created for this sandbox user."""
    teacher, _ = Teacher.objects.get_or_create(
        clever_id=clever_id,
        defaults={"sharing": "library" if library else "district", "district_id": "" if library else district_id},
    )
    return teacher


def user_credentials(sandbox, clever_id: str) -> services.SyncCredentials:
    return services.SyncCredentials(token=sandbox.state.user_token(clever_id), paginate=False)


def district_credentials(sandbox, district_id: str = HARBOR) -> services.SyncCredentials:
    return services.SyncCredentials(token=sandbox.state.district_token(district_id), paginate=True)


def sync(sandbox, clever_id: str, *, credentials=None, library: bool = False) -> SyncRun:
    teacher = teacher_row(clever_id, library=library)
    return services.roster_sync(
        teacher=teacher,
        credentials=credentials or user_credentials(sandbox, clever_id),
        trigger=SyncRun.Trigger.COMMAND,
    )


def classes(clever_id: str) -> dict[str, list[str]]:
    """Return what My classes shows a teacher: each class's name -> its current students' names, sorted."""
    shown = {section.name: [] for section in Section.objects.filter(section_teachers__teacher__clever_id=clever_id)}
    for section_name, first, last in Enrollment.objects.filter(
        section__section_teachers__teacher__clever_id=clever_id, removed_at__isnull=True
    ).values_list("section__name", "student__first_name", "student__last_name"):
        shown[section_name].append(f"{first} {last}")
    return {name: sorted(students) for name, students in shown.items()}


def database_state() -> dict:
    """Return every roster row, to compare before and after a sync that must change nothing."""
    return {
        "teachers": sorted(Teacher.objects.values_list("pk", "clever_id", "first_name", "email", "last_synced_at")),
        "sections": sorted(Section.objects.values_list("pk", "clever_id", "name", "subject", "grade")),
        "links": sorted(SectionTeacher.objects.values_list("pk", "section_id", "teacher_id", "is_primary")),
        "students": sorted(Student.objects.values_list("pk", "clever_id", "first_name", "last_name", "archived_at")),
        "enrollments": sorted(Enrollment.objects.values_list("pk", "section_id", "student_id", "removed_at")),
    }


# What the three Harbor teachers' My classes show once synced (tests/fixtures/rosters/harbor.json).
RIVERA_CLASSES = {
    "Algebra I - Rivera - 1": ["Ada Lovelace", "Ben Carter", "Chloé Dubois", "Hugo Martin", "Iris Chen"],
    "Geometry - Rivera - 2": ["Dev Patel", "Ema Schmidt"],
    "STEM Lab - Rivera - 4": ["Ada Lovelace", "Farid Haddad"],
}
OKORO_CLASSES = {
    "Biology - Okoro - 3": ["Ben Carter", "Gus Olsen"],
    "STEM Lab - Rivera - 4": ["Ada Lovelace", "Farid Haddad"],
}
FISCHER_CLASSES = {"English 7 - Fischer - 2": ["Jade Kim", "Kofi Mensah"]}


def at_once(work: Callable, items: Iterable) -> list:
    """Run work(item) for every item in threads of its own, all starting together; return their results.

    Each thread closes its database connections when done; an exception in any fails the test.
    """
    items = list(items)
    barrier = threading.Barrier(len(items))
    results, errors = [], []

    def run(item):
        try:
            barrier.wait()
            results.append(work(item))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results
