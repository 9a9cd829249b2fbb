import pytest


@pytest.fixture
def default_windows(settings):
    """The retention windows at their documented defaults, whatever a local .env says."""
    settings.DATA_RETENTION_ARCHIVED_STUDENTS_DAYS = 90
    settings.DATA_RETENTION_DISCONNECTED_DAYS = 30
    settings.DATA_RETENTION_SYNC_RUNS_DAYS = 30
    settings.DATA_RETENTION_AUDIT_DAYS = 365
