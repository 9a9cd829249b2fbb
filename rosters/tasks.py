"""
Background tasks (Django's tasks API): thin wrappers that call `rosters.jobs`.

Enqueue through `rosters.jobs.sync_job_enqueue` / `sync_jobs_enqueue`, never directly:
a task is one attempt at a `SyncJob`, and the job is what carries the retries.
"""

try:  # Django 6 has the tasks API built in; Django 5.2 has the django-tasks backport.
    from django.tasks import TaskContext, task
except ImportError:
    from django_tasks import TaskContext, task

from . import jobs


@task(takes_context=True)
def sync_teacher_job(context: TaskContext, job_id: int) -> str:
    """Run one attempt of a teacher's re-sync job; return the job's status afterwards."""
    return jobs.sync_job_run(job_id=job_id, task_id=str(context.task_result.id))
