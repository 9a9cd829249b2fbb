"""
Benchmark: what one teacher's roster sync costs at 10, 50 and 200 sections.

Run with `make bench` (or `python -m benchmarks.roster_sync [--students-per-section N]`).
It serves the sandbox on a free port, loads a generated roster per size, and syncs the
teacher with a district-app token, printing HTTP calls, SQL statements and wall time for

- ours: `rosters.services.roster_sync` (fetch first, sections in parallel, bulk upserts),
  first sync and an unchanged second sync;
- naive: a per-object implementation written here for comparison (sequential fetch,
  update_or_create per section, student and enrollment).

The database is a throwaway SQLite file unless DATABASE_URL names another one (its
roster tables are emptied between runs). Nothing here is a test: it asserts nothing.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cleverproject.settings_test")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")  # the Clever client logs every request at INFO
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='roster-bench-')}/bench.sqlite3"

import django

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from rosters import services  # noqa: E402
from rosters.models import Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher  # noqa: E402
from sandbox.generate import generate_roster  # noqa: E402
from sandbox.state import get_sandbox  # noqa: E402
from sandbox.threaded import site_serve_in_thread  # noqa: E402

SIZES = (10, 50, 200)


def serve_sandbox() -> str:
    url, _thread = site_serve_in_thread()
    base = f"{url}/sandbox/clever"
    settings.CLEVER_OAUTH_BASE = settings.CLEVER_API_BASE = settings.CLEVER_SANDBOX_URL = base
    return base


def empty_roster_tables():
    with transaction.atomic():
        for model in (SyncRun, Enrollment, SectionTeacher, Student, Section, Teacher):
            model.objects.all().delete()


def measure(work):
    """Run work(); return (result, SQL statements, seconds). Counts every statement, however many."""
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        result = work()
    return result, statements, time.perf_counter() - started


def ours(teacher, token):
    credentials = services.SyncCredentials(token=token, paginate=True)
    run = services.roster_sync(teacher=teacher, credentials=credentials, trigger=SyncRun.Trigger.COMMAND)
    if run.outcome != SyncRun.Outcome.SUCCESS:
        raise RuntimeError(run.error)
    return run.http_calls


def naive(teacher, token, base):
    """The obvious implementation: fetch as you go, one ORM call per object."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    calls = 0

    def get_all(path):
        nonlocal calls
        url, params, items = f"{base}{path}", {"limit": settings.CLEVER_PAGE_SIZE}, []
        while True:
            calls += 1
            body = session.get(url, params=params, timeout=10).json()
            if not body["data"]:
                return items
            items += [item["data"] for item in body["data"]]
            next_uri = next((link["uri"] for link in body["links"] if link["rel"] == "next"), None)
            if not next_uri:
                return items
            url, params = f"{base}{next_uri}", None

    def get_one(path):
        nonlocal calls
        calls += 1
        return session.get(f"{base}{path}", timeout=10).json()["data"]

    profile = get_one(f"/v2.0/teachers/{teacher.clever_id}")
    school = get_one(f"/v2.0/schools/{profile['school']}")
    Teacher.objects.filter(pk=teacher.pk).update(
        first_name=profile["name"]["first"], last_name=profile["name"]["last"], school_name=school["name"]
    )
    for data in get_all(f"/v2.0/teachers/{teacher.clever_id}/sections"):
        section, _ = Section.objects.update_or_create(
            clever_id=data["id"],
            defaults={"name": data["name"], "subject": data.get("subject") or "", "grade": data.get("grade") or ""},
        )
        SectionTeacher.objects.update_or_create(
            section=section, teacher=teacher, defaults={"is_primary": data.get("teacher") == teacher.clever_id}
        )
        for student_data in get_all(f"/v2.0/sections/{data['id']}/students"):
            student, _ = Student.objects.update_or_create(
                clever_id=student_data["id"],
                defaults={
                    "first_name": student_data["name"]["first"],
                    "last_name": student_data["name"]["last"],
                    "grade": student_data.get("grade") or "",
                },
            )
            Enrollment.objects.update_or_create(section=section, student=student, defaults={"removed_at": None})
    return calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students-per-section", type=int, default=30, help="Class size (default 30).")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    base = serve_sandbox()
    sandbox = get_sandbox()
    vendor = connection.vendor
    print(f"Roster sync benchmark: {vendor}, {args.students_per_section} students per section, district token\n")
    header = "| sections | students | implementation | HTTP calls | SQL statements | wall time |"
    print(header)
    print("|---:|---:|---|---:|---:|---:|")
    for sections in SIZES:
        roster = generate_roster(
            teachers=1, sections_per_teacher=sections, students_per_section=args.students_per_section, seed=sections
        )
        sandbox.load(roster)
        teacher_id, district_id = roster["teachers"][0]["id"], roster["districts"][0]["id"]
        token = sandbox.district_token(district_id)
        students = sections * args.students_per_section
        for implementation in ("ours", "naive"):
            empty_roster_tables()
            teacher = Teacher.objects.create(clever_id=teacher_id, district_id=district_id)
            for run in ("first sync", "unchanged"):
                if implementation == "ours":
                    http, sql, seconds = measure(lambda: ours(teacher, token))  # noqa: B023 - called at once
                else:
                    http, sql, seconds = measure(lambda: naive(teacher, token, base))  # noqa: B023 - called at once
                print(f"| {sections} | {students} | {implementation}, {run} | {http} | {sql} | {seconds:.2f} s |")
    print("\nHTTP calls for ours = 3 (teacher, school, sections) + one per section.")


if __name__ == "__main__":
    main()
