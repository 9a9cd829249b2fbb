"""Fixtures for roster tests: the Harbor fixture roster, its district token, and background jobs."""

import pytest

from rosters.models import DistrictToken
from tests.fixtures import HARBOR, serve_roster


@pytest.fixture
def harbor(clever_sandbox):
    """The sandbox, serving tests/fixtures/rosters/harbor.json instead of its demo data."""
    serve_roster(clever_sandbox, "harbor")
    return clever_sandbox


@pytest.fixture
def district_token(harbor):
    """Harbor Unified's district-app token, entered as staff would in the admin."""
    return DistrictToken.objects.create(
        district_id=HARBOR, name="Harbor Unified", token=harbor.state.district_token(HARBOR)
    )


@pytest.fixture
def database_tasks(settings):
    """Store tasks in the database, as production does, for a worker (jobs_helpers.run_worker) to run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
