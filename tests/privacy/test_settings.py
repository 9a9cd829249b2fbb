"""A retention window that is not a whole number of days, at least 1, refuses to load, naming itself."""

import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def check_with(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "cleverproject.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["0", "-5", "ninety"])
def test_a_retention_window_below_one_day_or_not_a_number_refuses_to_load(value):
    result = check_with(DATA_RETENTION_ARCHIVED_STUDENTS_DAYS=value)

    assert result.returncode != 0
    assert "DATA_RETENTION_ARCHIVED_STUDENTS_DAYS must be a whole number of days, at least 1." in result.stderr


def test_a_window_of_whole_days_loads():
    result = check_with(DATA_RETENTION_AUDIT_DAYS="730")

    assert result.returncode == 0, result.stderr
