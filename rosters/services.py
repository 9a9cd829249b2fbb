"""
Roster sync: the writes that carry the roster's business rules.

A sync fetches everything first, outside any transaction (teacher, school,
sections, then each section's students, sections in parallel), and applies only
a complete fetch, in one transaction, with bulk upserts keyed on `clever_id`.
A failed fetch changes nothing: an API error is never read as "no students".

The number of SQL statements of one sync does not depend on the number of
sections or students, and running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clever
from .models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher

logger = logging.getLogger(__name__)

APPLY_ATTEMPTS = 3  # a deadlock or a busy SQLite file is retried; the fetched data is still good


@dataclass(frozen=True)
class RosterSnapshot:
    """A complete fetch of one teacher's roster, ready to apply."""

    teacher: clever.Teacher
    school: clever.School | None
    sections: tuple[clever.Section, ...]
    students: dict[str, tuple[clever.Student, ...]]  # section clever id -> its students
    http_calls: int = 0


@dataclass
class SyncCounts:
    """Rows changed by one sync: sections, students and enrollments (and the teacher's profile)."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    restored: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.removed + self.restored

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class SyncCredentials:
    token: str = field(repr=False)
    paginate: bool  # district-app tokens page; user tokens cannot


@dataclass(frozen=True)
class SyncAttempt:
    """One sync as it ended: its SyncRun, and the exception that failed it (None on success)."""

    run: SyncRun
    error: BaseException | None = None


class NeedsFreshLogin(Exception):
    """No credentials can reach Clever for this teacher: they must log in with Clever again."""


class _DryRun(Exception):
    pass


# --- Fetch ----------------------------------------------------------------------------------


def roster_fetch(*, client: clever.CleverClient, teacher_clever_id: str) -> RosterSnapshot:
    """Read one teacher's whole roster from Clever; raise a CleverError if any part fails."""
    calls_before = client.calls
    teacher = client.teacher(teacher_clever_id)
    school = None
    if teacher.school_id:
        try:
            school = client.school(teacher.school_id)
        except clever.CleverNotFound:
            school = None  # the school's name is a nicety; a token that cannot read it is fine
    sections = tuple(client.teacher_sections(teacher_clever_id))
    students: dict[str, tuple[clever.Student, ...]] = {}
    if sections:
        workers = max(1, min(settings.CLEVER_SYNC_CONCURRENCY, len(sections)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roster-fetch") as pool:
            # map() re-raises the first failure; the snapshot is then never built.
            for section, section_students in zip(
                sections, pool.map(lambda s: tuple(client.section_students(s.id)), sections), strict=True
            ):
                students[section.id] = section_students
    return RosterSnapshot(
        teacher=teacher,
        school=school,
        sections=sections,
        students=students,
        http_calls=client.calls - calls_before,
    )


# --- Apply ----------------------------------------------------------------------------------


def roster_apply(*, teacher: Teacher, snapshot: RosterSnapshot, dry_run: bool = False) -> SyncCounts:
    """Apply a complete fetch in one transaction and return what changed.

    With `dry_run`, everything is computed and then rolled back.
    """
    for attempt in range(1, APPLY_ATTEMPTS + 1):
        try:
            return _apply_once(teacher=teacher, snapshot=snapshot, dry_run=dry_run)
        except OperationalError as exc:  # deadlock detected / database is locked
            if attempt == APPLY_ATTEMPTS:
                raise
            logger.warning("Roster apply for teacher %s hit %s; retrying", teacher.pk, type(exc).__name__)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _apply_once(*, teacher: Teacher, snapshot: RosterSnapshot, dry_run: bool) -> SyncCounts:
    counts = SyncCounts()
    try:
        with transaction.atomic():
            now = timezone.now()
            # Serialise syncs of one teacher (PostgreSQL); SQLite serialises all writers already.
            # NO KEY: a co-teacher's sync links this teacher meanwhile, and its foreign-key check
            # (FOR KEY SHARE) must not wait for us, or two co-teachers syncing at once deadlock.
            locked = Teacher.objects.select_for_update(no_key=True).get(pk=teacher.pk)
            _apply_profile(locked, snapshot, now, counts)
            section_pks = _upsert_sections(snapshot.sections, counts)
            _link_teachers(locked, snapshot.sections, section_pks, now, counts)
            student_pks = _upsert_students(snapshot, counts)
            _sync_enrollments(snapshot, section_pks, student_pks, now, counts)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return counts


def _apply_profile(teacher: Teacher, snapshot: RosterSnapshot, now, counts: SyncCounts) -> None:
    profile = snapshot.teacher
    values = {
        "first_name": profile.first_name,
        "middle_name": profile.middle_name,
        "last_name": profile.last_name,
        "email": profile.email,
        "title": profile.title,
        "district_id": profile.district_id,
        "school_id": profile.school_id,
        "school_name": snapshot.school.name if snapshot.school else "",
    }
    if any(getattr(teacher, name) != value for name, value in values.items()):
        counts.updated += 1
    Teacher.objects.filter(pk=teacher.pk).update(**values, last_synced_at=now, updated_at=now)


def _upsert_sections(sections: tuple[clever.Section, ...], counts: SyncCounts) -> dict[str, int]:
    """Create or update the fetched sections; return clever id -> primary key."""
    return _upsert_by_clever_id(Section, {section.id: _section_values(section) for section in sections}, counts)


def _upsert_by_clever_id(model, rows: dict[str, dict[str, str]], counts: SyncCounts) -> dict[str, int]:
    """Insert new rows and update changed ones (values keyed by field name); return clever id -> pk.

    Rows Clever did not change are not written, so an unchanged sync writes nothing.
    """
    fields = list(next(iter(rows.values()), {}))
    existing = {
        row[0]: row[1:]
        for row in model.objects.filter(clever_id__in=list(rows)).values_list("clever_id", "pk", *fields)
    }
    pks = {clever_id: row[0] for clever_id, row in existing.items()}
    to_write = []
    for clever_id in sorted(rows):  # one lock order for every sync: no deadlocks between syncs
        values = rows[clever_id]
        current = existing.get(clever_id)
        if current is None:
            counts.created += 1
        elif tuple(current[1:]) != tuple(values.values()):
            counts.updated += 1
        else:
            continue
        to_write.append(model(clever_id=clever_id, **values))
    if to_write:
        written = model.objects.bulk_create(
            to_write, update_conflicts=True, unique_fields=["clever_id"], update_fields=[*fields, "updated_at"]
        )
        pks.update({row.clever_id: row.pk for row in written})
    return pks


def _section_values(section: clever.Section) -> dict[str, str]:
    return {
        "name": section.name[:255] or section.id,
        "subject": section.subject[:64],
        "grade": section.grade[:32],
        "period": section.period[:64],
        "section_number": section.section_number[:64],
        "school_id": section.school_id[:64],
        "district_id": section.district_id[:64],
    }


def _link_teachers(
    teacher: Teacher,
    sections: tuple[clever.Section, ...],
    section_pks: dict[str, int],
    now,
    counts: SyncCounts,
) -> None:
    """Link every teacher Clever lists on the sections, and unlink this teacher from sections it left.

    Co-teachers who have never signed in get a placeholder Teacher row, so they
    find the shared section when they do.
    """
    wanted: dict[tuple[int, str], bool] = {}  # (section pk, teacher clever id) -> is primary
    for section in sections:
        teacher_ids = set(section.teacher_ids) | ({section.teacher_id} if section.teacher_id else set())
        teacher_ids.add(teacher.clever_id)  # the teacher we sync always teaches the sections Clever lists for them
        for teacher_id in teacher_ids:
            wanted[(section_pks[section.id], teacher_id)] = teacher_id == section.teacher_id

    teacher_ids = sorted({teacher_id for _, teacher_id in wanted})
    teacher_pks = dict(Teacher.objects.filter(clever_id__in=teacher_ids).values_list("clever_id", "pk"))
    if missing := [teacher_id for teacher_id in teacher_ids if teacher_id not in teacher_pks]:
        Teacher.objects.bulk_create(
            [
                Teacher(clever_id=teacher_id, sharing=teacher.sharing, district_id=teacher.district_id)
                for teacher_id in missing
            ],
            ignore_conflicts=True,  # a concurrent sync may have just created the same co-teacher
        )
        teacher_pks.update(Teacher.objects.filter(clever_id__in=missing).values_list("clever_id", "pk"))

    existing = {
        (section_pk, teacher_pk): (pk, is_primary)
        for pk, section_pk, teacher_pk, is_primary in SectionTeacher.objects.filter(
            section_id__in=section_pks.values()
        ).values_list("pk", "section_id", "teacher_id", "is_primary")
    }
    desired = {(section_pk, teacher_pks[teacher_id]): primary for (section_pk, teacher_id), primary in wanted.items()}
    to_write = [
        SectionTeacher(section_id=section_pk, teacher_id=teacher_pk, is_primary=primary)
        for (section_pk, teacher_pk), primary in sorted(desired.items())
        if existing.get((section_pk, teacher_pk), (None, None))[1] != primary
    ]
    if to_write:
        SectionTeacher.objects.bulk_create(
            to_write,
            update_conflicts=True,
            unique_fields=["section", "teacher"],
            update_fields=["is_primary"],
        )
    stale = [pk for key, (pk, _primary) in existing.items() if key not in desired]

    # Sections this teacher no longer teaches: unlink; a section left with no teacher loses its enrollments.
    left = list(
        SectionTeacher.objects.filter(teacher=teacher)
        .exclude(section_id__in=section_pks.values())
        .values_list("pk", "section_id")
    )
    stale += [pk for pk, _section_pk in left]
    if stale:
        SectionTeacher.objects.filter(pk__in=stale).delete()
    if left:
        orphaned = Section.objects.filter(pk__in=[section_pk for _pk, section_pk in left], section_teachers=None)
        counts.removed += _remove_enrollments(Enrollment.objects.filter(section__in=orphaned), now)


def _upsert_students(snapshot: RosterSnapshot, counts: SyncCounts) -> dict[str, int]:
    """Create or update every fetched student, active again if archived; return clever id -> primary key."""
    rows = {
        student.id: _student_values(student)
        for section_students in snapshot.students.values()
        for student in section_students
    }
    pks = _upsert_by_clever_id(Student, rows, counts)
    # Students in the fetch are active again (their enrollments are restored or created next).
    Student.objects.filter(pk__in=list(pks.values()), archived_at__isnull=False).update(
        archived_at=None, updated_at=timezone.now()
    )
    return pks


def _student_values(student: clever.Student) -> dict[str, str]:
    return {
        "first_name": student.first_name[:255],
        "middle_name": student.middle_name[:255],
        "last_name": student.last_name[:255],
        "grade": student.grade[:32],
    }


def _sync_enrollments(
    snapshot: RosterSnapshot,
    section_pks: dict[str, int],
    student_pks: dict[str, int],
    now,
    counts: SyncCounts,
) -> None:
    desired = {
        (section_pks[section_id], student_pks[student.id])
        for section_id, students in snapshot.students.items()
        for student in students
    }
    existing = {
        (section_pk, student_pk): (pk, removed_at)
        for pk, section_pk, student_pk, removed_at in Enrollment.objects.filter(
            section_id__in=section_pks.values()
        ).values_list("pk", "section_id", "student_id", "removed_at")
    }
    new = sorted(desired - existing.keys())
    if new:
        Enrollment.objects.bulk_create(
            [Enrollment(section_id=section_pk, student_id=student_pk) for section_pk, student_pk in new],
            ignore_conflicts=True,  # a concurrent sync of a co-teacher may have just added it
        )
        counts.created += len(new)
    restore = [pk for key, (pk, removed_at) in existing.items() if key in desired and removed_at is not None]
    if restore:
        counts.restored += Enrollment.objects.filter(pk__in=restore).update(removed_at=None)
    remove = [pk for key, (pk, removed_at) in existing.items() if key not in desired and removed_at is None]
    if remove:
        counts.removed += _remove_enrollments(Enrollment.objects.filter(pk__in=remove), now)


def _remove_enrollments(enrollments, now) -> int:
    """Soft-remove active enrollments and archive students left with none; return how many were removed."""
    enrollments = enrollments.filter(removed_at__isnull=True)
    student_pks = list(enrollments.values_list("student_id", flat=True))
    removed = enrollments.update(removed_at=now)
    if student_pks:
        still_enrolled = Enrollment.objects.filter(removed_at__isnull=True).values("student_id")
        Student.objects.filter(pk__in=student_pks, archived_at__isnull=True).exclude(pk__in=still_enrolled).update(
            archived_at=now, updated_at=now
        )
    return removed


# --- Credentials ----------------------------------------------------------------------------


def teacher_sync_credentials(*, teacher: Teacher) -> SyncCredentials:
    """Return the credentials a sync outside a login uses, or raise NeedsFreshLogin.

    A district-app token staff entered for the teacher's district comes first;
    otherwise the teacher's last Clever token, while it still works.
    """
    if teacher.district_id:
        district_token = DistrictToken.objects.filter(district_id=teacher.district_id).first()
        if district_token and district_token.token:
            return SyncCredentials(token=district_token.token, paginate=True)
    if teacher.token:
        return SyncCredentials(token=teacher.token, paginate=False)
    raise NeedsFreshLogin


# --- Sync -----------------------------------------------------------------------------------


def roster_sync(
    *,
    teacher: Teacher,
    credentials: SyncCredentials,
    trigger: str,
    requested_by=None,
    throttle=None,
) -> SyncRun:
    """Fetch and apply one teacher's roster, recording a SyncRun; raise nothing Clever-related.

    The SyncRun's outcome says whether it worked; a failure leaves the roster as it was.
    A `throttle` (rosters.throttle) is asked before each request to Clever.
    """
    return roster_sync_attempt(
        teacher=teacher, credentials=credentials, trigger=trigger, requested_by=requested_by, throttle=throttle
    ).run


def roster_sync_attempt(
    *,
    teacher: Teacher,
    credentials: SyncCredentials,
    trigger: str,
    requested_by=None,
    throttle=None,
) -> SyncAttempt:
    """Run roster_sync and also return the exception that failed it, for callers that retry.

    Background jobs decide from the exception's type whether another attempt can help.
    """
    error = None
    run = SyncRun.objects.create(teacher=teacher, trigger=trigger, requested_by=requested_by)
    client = clever.CleverClient(token=credentials.token, paginate=credentials.paginate, throttle=throttle)
    try:
        snapshot = roster_fetch(client=client, teacher_clever_id=teacher.clever_id)
        counts = roster_apply(teacher=teacher, snapshot=snapshot)
    except clever.CleverError as exc:
        error = exc
        logger.warning("Roster sync of teacher %s failed: %s", teacher.pk, exc.describe())
        if isinstance(exc, clever.CleverUnauthorized) and not credentials.paginate:
            # The teacher's stored token no longer works: forget it, so we ask for a fresh login.
            Teacher.objects.filter(pk=teacher.pk, token_saved_at=teacher.token_saved_at).update(token="")
        _finish(run, client, outcome=SyncRun.Outcome.FAILED, error=exc.describe(), message=str(exc.user_message))
    except Exception as exc:
        error = exc
        logger.exception("Roster sync of teacher %s failed unexpectedly", teacher.pk)
        _finish(
            run,
            client,
            outcome=SyncRun.Outcome.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            message=_("Something went wrong while updating your classes. Please try again."),
        )
    else:
        _finish(run, client, outcome=SyncRun.Outcome.SUCCESS, counts=counts)
    finally:
        client.close()
    return SyncAttempt(run=run, error=error)


def _finish(run: SyncRun, client, *, outcome, counts: SyncCounts | None = None, error="", message="") -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.http_calls = client.calls
    run.error = error
    run.message = message
    for name, value in (counts.as_dict() if counts else {}).items():
        setattr(run, name, value)
    run.save()


def roster_preview(*, teacher: Teacher, credentials: SyncCredentials) -> SyncCounts:
    """Return what a sync would change, writing nothing. Raise a CleverError when the fetch fails."""
    with clever.CleverClient(token=credentials.token, paginate=credentials.paginate) as client:
        snapshot = roster_fetch(client=client, teacher_clever_id=teacher.clever_id)
    return roster_apply(teacher=teacher, snapshot=snapshot, dry_run=True)


def teacher_sync(*, teacher: Teacher, trigger: str, requested_by=None) -> SyncRun:
    """Sync a teacher outside a login (button, admin, command); raise NeedsFreshLogin without credentials."""
    credentials = teacher_sync_credentials(teacher=teacher)
    return roster_sync(teacher=teacher, credentials=credentials, trigger=trigger, requested_by=requested_by)


def teacher_login_sync(*, teacher: Teacher, token: str) -> SyncRun | None:
    """Keep the teacher's fresh Clever token and sync their roster with it; run right after a Clever login.

    Never raises: the login succeeds even when the sync fails. Returns the SyncRun,
    whose outcome tells whether the classes could be updated (My classes says so).
    With ROSTER_LOGIN_SYNC = "background" the sync is a job instead (My classes says
    "updating" until it is done) and this returns None: no sync ran yet.
    """
    now = timezone.now()
    Teacher.objects.filter(pk=teacher.pk).update(token=token, token_saved_at=now)
    teacher.token, teacher.token_saved_at = token, now
    if settings.ROSTER_LOGIN_SYNC == "background":
        from .jobs import sync_job_enqueue  # jobs builds on this module

        try:
            sync_job_enqueue(teacher=teacher, trigger=SyncRun.Trigger.LOGIN, requested_by=teacher.user)
        except Exception:
            logger.exception("Login-time roster sync of teacher %s could not be queued", teacher.pk)
        return None
    try:
        return roster_sync(
            teacher=teacher,
            credentials=SyncCredentials(token=token, paginate=False),
            trigger=SyncRun.Trigger.LOGIN,
            requested_by=teacher.user,
        )
    except Exception:
        logger.exception("Login-time roster sync of teacher %s could not run", teacher.pk)
        return None


def district_tokens_import() -> tuple[int, int]:
    """Store the district-app tokens Clever lists for this app; return (created, updated).

    Raise a CleverError when Clever cannot list them. A district's name is read
    with its own token; a failure there leaves the name blank.
    """
    created = updated = 0
    for info in clever.list_district_tokens():
        name = ""
        try:
            with clever.CleverClient(token=info.access_token) as client:
                name = client.district(info.district_id).name
        except clever.CleverError as exc:
            logger.warning("Could not read the name of district %s: %s", info.district_id, exc.describe())
        token, was_created = DistrictToken.objects.update_or_create(
            district_id=info.district_id, defaults={"token": info.access_token}
        )
        if name and token.name != name:
            DistrictToken.objects.filter(pk=token.pk).update(name=name[:255])
        created += was_created
        updated += not was_created
    return created, updated
