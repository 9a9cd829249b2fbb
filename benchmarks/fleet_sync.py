"""
Benchmark: a fleet re-sync of 1,000 teachers on background workers.

Run with `make bench-fleet` (or `python -m benchmarks.fleet_sync [--teachers N] [--workers 1 2 4]`).

- A generated district: 1,000 teachers x 5 sections x 30 students (150,000 students),
  served by `manage.py clever_sandbox` in its own process.
- PostgreSQL: FLEET_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clever_fleet_bench),
  created and migrated if needed; its roster and task tables are emptied before each run.
- For 1, 2 and 4 `db_worker` processes: the district token is imported from the sandbox,
  one job per teacher is enqueued (`rosters.jobs.sync_jobs_enqueue`, what
  `sync_rosters --all --enqueue` runs), and the clock stops when no job is left queued or
  running. Every run is a first sync (all rows created).

Every teacher syncs with the one district-app token, as a nightly re-sync does, so every
request of every worker goes through the shared rate budget (one row, one upsert each).
The budget (CLEVER_RATE_LIMIT) and the sandbox's `rate_limit` are raised to 10,000,000 a
minute: the budget's cost is measured, Clever's limit is not what is measured (at
1,200 a minute, 8,000 requests take 7 minutes whatever the workers do).

SQL statements are counted in the workers with a `connection.execute_wrapper` on every
connection they open, and split by table: the sync itself, the rate budget, the job
bookkeeping (rosters_syncjob) and the task queue (django-tasks-db). CPU seconds of the
workers, the sandbox and PostgreSQL (all its processes) come from /proc. Nothing here is
a test: it asserts nothing.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/clever_fleet_bench"
SANDBOX_PORT = int(os.environ.get("FLEET_BENCH_SANDBOX_PORT", "8731"))
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}/sandbox/clever"
RATE = 10_000_000

# The same configuration for this process, the sandbox and the workers.
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "cleverproject.settings",
    "DJANGO_DEBUG": "false",  # debug keeps every query in memory: not what production does
    "DJANGO_SECRET_KEY": "fleet-benchmark-only-secret-key",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_LOG_LEVEL": "WARNING",  # the client logs every request at INFO
    "DATABASE_URL": os.environ.get("FLEET_BENCH_DATABASE_URL", DEFAULT_DATABASE),
    "DJANGO_TASKS_BACKEND": "database",
    "CLEVER_SANDBOX": "false",
    "CLEVER_CLIENT_ID": "sandbox-client-id",
    "CLEVER_CLIENT_SECRET": "sandbox-client-secret",
    "CLEVER_API_BASE": SANDBOX_URL,
    "CLEVER_OAUTH_BASE": SANDBOX_URL,
    "CLEVER_RATE_LIMIT": str(RATE),
}
os.environ.update(ENVIRONMENT)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from rosters import jobs, services  # noqa: E402
from rosters.models import (  # noqa: E402
    DistrictToken,
    Enrollment,
    RateBudget,
    Section,
    SectionTeacher,
    Student,
    SyncJob,
    SyncRun,
    Teacher,
)
from sandbox.generate import generate_roster  # noqa: E402

TABLES = {
    "budget": RateBudget._meta.db_table,
    "queue": DBTaskResult._meta.db_table,
    "jobs": SyncJob._meta.db_table,
}


# --- In a worker process -------------------------------------------------------------------


def worker_main(worker_id: str, stats_path: str) -> None:
    """Run `db_worker`, counting every SQL statement of every connection; write the counts at exit."""
    counts = {"sync": 0, "budget": 0, "queue": 0, "jobs": 0}

    def count(execute, sql, params, many, context):
        for kind, table in TABLES.items():
            if table in sql:
                counts[kind] += 1
                break
        else:
            counts["sync"] += 1
        return execute(sql, params, many, context)

    def on_connection(sender, connection, **kwargs):
        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)

    connection_created.connect(on_connection, weak=False)
    try:
        call_command(
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--worker-id",
            worker_id,
            verbosity=0,
        )
    finally:
        Path(stats_path).write_text(json.dumps(counts))


# --- The driver ----------------------------------------------------------------------------


def ensure_database() -> None:
    import psycopg

    settings_dict = connection.settings_dict
    name = settings_dict["NAME"]
    admin = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def start_sandbox(roster_path: str) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "clever_sandbox", f"127.0.0.1:{SANDBOX_PORT}", "--data", roster_path],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            control("GET", "options")
            control("POST", "options", {"rate_limit": RATE})
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the sandbox did not start") from None
            time.sleep(0.5)
    raise RuntimeError("the sandbox did not answer")


def control(method: str, name: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - our own local sandbox
        f"{SANDBOX_URL}/_control/{name}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def empty_tables() -> None:
    models = (Enrollment, SectionTeacher, Student, Section, SyncJob, SyncRun, Teacher, RateBudget, DistrictToken)
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}, {DBTaskResult._meta.db_table} RESTART IDENTITY CASCADE")
        cursor.execute("VACUUM ANALYZE")


def cpu_seconds(pids) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def run_once(roster: dict, workers: int, stats_dir: Path, sandbox: subprocess.Popen) -> dict:
    empty_tables()
    district_id = roster["districts"][0]["id"]
    Teacher.objects.bulk_create(Teacher(clever_id=t["id"], district_id=district_id) for t in roster["teachers"])
    services.district_tokens_import()  # the token staff would import in the admin
    control("DELETE", "calls")

    processes = []
    for number in range(workers):
        stats = stats_dir / f"worker-{workers}-{number}.json"
        processes.append(
            (
                subprocess.Popen(  # noqa: S603 - this very module
                    [sys.executable, "-m", "benchmarks.fleet_sync", "--worker", f"bench-{number}", str(stats)],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
                stats,
            )
        )
    time.sleep(4)  # let the workers start (Django set-up) before the clock starts
    pg = postgres_pids()
    cpu_before = {
        "workers": cpu_seconds(p.pid for p, _ in processes),
        "sandbox": cpu_seconds([sandbox.pid]),
        "postgres": cpu_seconds(pg),
    }
    started = time.perf_counter()
    jobs.sync_jobs_enqueue(teachers=Teacher.objects.order_by("pk"), trigger=SyncRun.Trigger.COMMAND)
    enqueued = time.perf_counter() - started
    while SyncJob.objects.filter(status__in=SyncJob.ACTIVE).exists():
        time.sleep(0.2)
    wall = time.perf_counter() - started
    cpu = {
        "workers": cpu_seconds(p.pid for p, _ in processes) - cpu_before["workers"],
        "sandbox": cpu_seconds([sandbox.pid]) - cpu_before["sandbox"],
        "postgres": cpu_seconds(pg) - cpu_before["postgres"],
    }
    for process, _ in processes:
        process.send_signal(signal.SIGTERM)
    sql = {"sync": 0, "budget": 0, "queue": 0, "jobs": 0}
    for process, stats in processes:
        process.wait(timeout=60)
        for kind, value in json.loads(stats.read_text()).items():
            sql[kind] += value

    synced = SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count()
    enrollments = list(Enrollment.objects.values_list("section_id", "student_id"))
    return {
        "workers": workers,
        "wall": wall,
        "enqueue": enqueued,
        "syncs": synced,
        "failed_jobs": SyncJob.objects.filter(status=SyncJob.Status.FAILED).count(),
        "failed_runs": SyncRun.objects.filter(outcome=SyncRun.Outcome.FAILED).count(),
        "retried": SyncJob.objects.filter(attempt__gt=1).count() + SyncJob.objects.filter(deferrals__gt=0).count(),
        "duplicates": (Student.objects.count() - Student.objects.values("clever_id").distinct().count())
        + (Section.objects.count() - Section.objects.values("clever_id").distinct().count())
        + (len(enrollments) - len(set(enrollments))),
        "rows": (Section.objects.count(), Student.objects.count(), len(enrollments)),
        "sql": sql,
        "cpu": cpu,
        "http": sum(SyncRun.objects.values_list("http_calls", flat=True)),
    }


def report(results: list[dict], args) -> None:
    print(
        f"\nFleet re-sync: {args.teachers} teachers x 5 sections x 30 students, PostgreSQL, "
        f"{os.cpu_count()} CPU cores, one district token, budget and sandbox limit {RATE:,}/min\n"
    )
    print(
        "| workers | wall time | syncs/s | SQL per sync (total: sync + budget + jobs + queue) "
        "| HTTP per sync | failures | duplicate rows | CPU s: workers / sandbox / PostgreSQL |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|---|")
    for r in results:
        syncs = max(1, r["syncs"])
        sql = r["sql"]
        total = sum(sql.values()) / syncs
        parts = " + ".join(f"{sql[k] / syncs:.1f}" for k in ("sync", "budget", "jobs", "queue"))
        cpu = r["cpu"]
        retried = f", {r['retried']} retried" if r["retried"] else ""
        print(
            f"| {r['workers']} | {r['wall']:.1f} s (enqueue {r['enqueue']:.1f} s) | {r['syncs'] / r['wall']:.1f} "
            f"| {total:.1f} ({parts}) | {r['http'] / syncs:.1f} | {r['failed_jobs']} jobs, {r['failed_runs']} runs"
            f"{retried} | {r['duplicates']} "
            f"| {cpu['workers']:.1f} / {cpu['sandbox']:.1f} / {cpu['postgres']:.1f} |"
        )
    print(f"\nRows after each run (sections, students, enrollments): {results[-1]['rows']}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=1000, help="Teachers in the district (default 1000).")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="Worker counts to try.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The fleet benchmark needs PostgreSQL (FLEET_BENCH_DATABASE_URL).")

    ensure_database()
    roster = generate_roster(teachers=args.teachers, sections_per_teacher=5, students_per_section=30, seed=2024)
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as scratch:
        roster_path = Path(scratch) / "roster.json"
        roster_path.write_text(json.dumps(roster))
        print(f"Serving {len(roster['students']):,} students from the sandbox on {SANDBOX_URL} …", flush=True)
        sandbox = start_sandbox(str(roster_path))
        results = []
        try:
            for workers in args.workers:
                print(f"{workers} worker{'s' if workers != 1 else ''} …", flush=True)
                results.append(run_once(roster, workers, Path(scratch), sandbox))
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)
    report(results, args)


if __name__ == "__main__":
    main()
