"""
The one writer of Teacher rows: every change to a `Teacher` goes through a function here.

Clever owns a teacher's profile. It arrives at each Clever login (through accounts'
provisioning, from /me and the teacher record) and at each roster sync (from the fetch),
and both land here, so which fields are Clever's and how long they may be is written
once. The rest of a row's life is here too: the user it belongs to (claimed at login),
the teacher's own token (kept for syncs outside a login, forgotten once Clever refuses
it), placeholder rows for co-teachers who have not signed in yet, the rows a district sync
writes for every teacher of the district, signed in or not, and their deletion when the data
policy says so (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import clever
from .models import Sharing, Teacher
from .upserts import SyncCounts, upsert_by_clever_id

# What Clever tells us of a teacher both at login and at a sync.
PROFILE_FIELDS = ("first_name", "middle_name", "last_name", "email", "title", "district_id", "school_id")


class TeacherLinkedElsewhere(Exception):
    """This Clever id's Teacher row belongs to another user; nothing was changed."""


def _clipped(values: dict[str, str]) -> dict[str, str]:
    """Return the values cut to their columns' lengths (a long title must not fail a login or a sync)."""
    return {name: (value or "")[: Teacher._meta.get_field(name).max_length] for name, value in values.items()}


@transaction.atomic
def teacher_profile_upsert(
    *,
    clever_id: str,
    user,
    sharing: str,
    first_name: str = "",
    middle_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
    district_id: str = "",
    school_id: str = "",
) -> Teacher:
    """Insert or refresh the Teacher row of a teacher signing in with Clever, and link it to `user`.

    Run at every Clever login (a returning teacher, a new account, a merge). Raise
    TeacherLinkedElsewhere, changing nothing, when the row already belongs to another user.
    """
    values = _clipped(
        {
            "first_name": first_name,
            "middle_name": middle_name,
            "last_name": last_name,
            "email": email,
            "title": title,
            "district_id": district_id,
            "school_id": school_id,
            "sharing": sharing,
        }
    )
    Teacher.objects.bulk_create(
        [Teacher(clever_id=clever_id, **values)],
        update_conflicts=True,
        unique_fields=["clever_id"],
        update_fields=[*values, "updated_at"],
    )
    unclaimed_or_ours = Q(user__isnull=True) | Q(user=user)
    if not Teacher.objects.filter(unclaimed_or_ours, clever_id=clever_id).update(user=user):
        raise TeacherLinkedElsewhere(clever_id)
    return Teacher.objects.get(clever_id=clever_id)


def teacher_profile_refresh(
    *, teacher: Teacher, profile: clever.Teacher, school_name: str, synced_at: datetime
) -> bool:
    """Write what a roster fetch says of the teacher, and when; return whether the profile changed.

    Run by a sync engine inside its transaction, with `teacher` locked and read afresh.
    """
    values = _clipped(
        {
            "first_name": profile.first_name,
            "middle_name": profile.middle_name,
            "last_name": profile.last_name,
            "email": profile.email,
            "title": profile.title,
            "district_id": profile.district_id,
            "school_id": profile.school_id,
            "school_name": school_name,
        }
    )
    changed = any(getattr(teacher, name) != value for name, value in values.items())
    Teacher.objects.filter(pk=teacher.pk).update(**values, last_synced_at=synced_at, updated_at=synced_at)
    return changed


def teachers_ensure(*, clever_ids: Iterable[str], sharing: str, district_id: str) -> dict[str, int]:
    """Return clever id -> primary key for these teachers, adding a placeholder row for each one new to us.

    A co-teacher who has never signed in gets one, so they find the shared section when they do.
    """
    clever_ids = sorted(set(clever_ids))
    pks = dict(Teacher.objects.filter(clever_id__in=clever_ids).values_list("clever_id", "pk"))
    if missing := [clever_id for clever_id in clever_ids if clever_id not in pks]:
        Teacher.objects.bulk_create(
            [Teacher(clever_id=clever_id, sharing=sharing, district_id=district_id) for clever_id in missing],
            ignore_conflicts=True,  # a concurrent sync may have just created the same co-teacher
        )
        pks.update(Teacher.objects.filter(clever_id__in=missing).values_list("clever_id", "pk"))
    return pks


def teachers_district_upsert(
    *, teachers: Iterable[clever.Teacher], school_names: Mapping[str, str], counts: SyncCounts
) -> dict[str, int]:
    """Write the profiles a district sync read (rows for those new to us); return clever id -> pk.

    Run by the district engine inside its transaction. A teacher who never signed in gets
    a row, so their classes are there at their first login; a row's user, sharing and
    token are left as they are. `school_names`: school id -> name, for each teacher's school.
    """
    rows = {
        teacher.id: _clipped(
            {
                "first_name": teacher.first_name,
                "middle_name": teacher.middle_name,
                "last_name": teacher.last_name,
                "email": teacher.email,
                "title": teacher.title,
                "district_id": teacher.district_id,
                "school_id": teacher.school_id,
                "school_name": school_names.get(teacher.school_id, ""),
            }
        )
        for teacher in teachers
    }
    return upsert_by_clever_id(Teacher, rows, counts, insert_only={"sharing": Sharing.DISTRICT})


def teachers_school_renamed(*, school_names: Mapping[str, str]) -> None:
    """Show a school's new name on its teachers' rows (Clever renamed it); one statement per school."""
    limit = Teacher._meta.get_field("school_name").max_length
    for school_id, name in sorted(school_names.items()):
        Teacher.objects.filter(school_id=school_id).exclude(school_name=name[:limit]).update(
            school_name=name[:limit], updated_at=timezone.now()
        )


def teacher_token_save(*, teacher: Teacher, token: str) -> None:
    """Keep the token a teacher just signed in with (encrypted), for syncs outside a login."""
    now = timezone.now()
    Teacher.objects.filter(pk=teacher.pk).update(token=token, token_saved_at=now)
    teacher.token, teacher.token_saved_at = token, now


def teacher_token_forget(*, teacher: Teacher) -> None:
    """Forget a token Clever refused, so the next sync asks for a login; a newer login's token stays."""
    Teacher.objects.filter(pk=teacher.pk, token_saved_at=teacher.token_saved_at).update(token="")


def teachers_delete(*, teachers: QuerySet[Teacher]) -> dict[str, int]:
    """Delete these Teacher rows with their section links, sync runs and jobs; return rows per model label.

    For rows that go while any account stays: placeholders, a disconnected district's
    teachers. A teacher whose account is deleted goes with it (accounts.services.user_delete).
    """
    return teachers.delete()[1]
