"""
Background tasks (Django's tasks API): the task a worker runs for one attempt at a SyncJob,
a teacher's or a whole district's (the job says which).

A thin wrapper over `rosters.job_runner`, which it passes itself to so that a retry can
be enqueued as the same task. Enqueue through `rosters.jobs`, never directly: a task is
one attempt at a job, and the job is what carries the retries. The task's import path,
`rosters.tasks.sync_teacher_job`, is stored with every queued task: keep it.
"""

try:  # Django 6 has the tasks API built in; Django 5.2 has the django-tasks backport.
    from django.tasks import TaskContext, task
except ImportError:
    from django_tasks import TaskContext, task

from . import job_runner


@task(takes_context=True)
def sync_teacher_job(context: TaskContext, job_id: int) -> str:
    """Run one attempt of a re-sync job (a teacher's or a district's); return the job's status afterwards."""
    return job_runner.sync_job_run(job_id=job_id, task_id=str(context.task_result.id), task=sync_teacher_job)
