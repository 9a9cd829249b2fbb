"""Writes that carry the roster's business rules. (The sync itself lands with the roster-sync issue.)"""

from django.utils import timezone

from .models import SyncRun, Teacher


def teacher_login_sync(*, teacher: Teacher, token: str) -> SyncRun | None:
    """Keep the teacher's fresh Clever token and sync their roster; run right after a Clever login.

    Never raises: the login succeeds even when the sync fails. Returns the SyncRun
    (whose outcome tells whether the classes could be updated), or None when no
    sync was attempted.
    """
    teacher.token = token
    teacher.token_saved_at = timezone.now()
    teacher.save(update_fields=["token", "token_saved_at", "updated_at"])
    return None
