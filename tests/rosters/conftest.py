"""Fixtures for roster tests that run background jobs."""

import pytest

from rosters.models import DistrictToken
from sandbox import demo


@pytest.fixture
def database_tasks(settings):
    """Store tasks in the database, as production does, for a worker (jobs_helpers.run_worker) to run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def district_token(clever_sandbox):
    """The demo district's district-app token, entered as staff would in the admin."""
    return DistrictToken.objects.create(
        district_id=demo.DISTRICT, name="Demo District", token=clever_sandbox.state.district_token(demo.DISTRICT)
    )
