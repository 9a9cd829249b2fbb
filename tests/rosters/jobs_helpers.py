"""Helpers for background-job tests: run a database worker, let deferred tasks fall due."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_worker(worker_id: str = "test-worker") -> None:
    """Run what `manage.py db_worker --batch` runs: every task that is due, then return."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def make_tasks_due() -> None:
    """Let time pass for the deferred tasks: what was to run later may run now."""
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.filter(status="READY", run_after__lt=timezone.now() + timedelta(days=365)).update(
        run_after=past
    )


def task_statuses() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("status", flat=True))
