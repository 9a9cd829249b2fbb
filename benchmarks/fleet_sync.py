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
bookkeeping (rosters_syncjob) and the task queue (django-tasks-db). The sandbox and the
workers are started and stopped by `benchmarks.stack` (logs in artifacts/fleet-bench/), and
the CPU seconds of the workers, the sandbox and PostgreSQL (all its processes) come from
`benchmarks.cpu`. How to read the table: docs/benchmarks.md. Nothing here is a test: it
asserts nothing.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu import CpuMeter, memory_mb, server_roots
from benchmarks.report import markdown_table
from benchmarks.stack import (
    BASE_DIR,
    Sandbox,
    Stack,
    free_ports,
    postgres_database_prepare,
    production_env,
    sandbox_start,
)

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/clever_fleet_bench"
ARTIFACTS = BASE_DIR / "artifacts" / "fleet-bench"
RATE = 10_000_000
SANDBOX_PORT = int(os.environ.get("FLEET_BENCH_SANDBOX_PORT") or free_ports(1)[0])
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}/sandbox/clever"

# The same configuration for this process, the sandbox and the workers; the workers run this
# module again, and FLEET_BENCH_SANDBOX_PORT tells them which port the sandbox took.
ENVIRONMENT = production_env(
    database_url=os.environ.get("FLEET_BENCH_DATABASE_URL", DEFAULT_DATABASE),
    secret_key="fleet-benchmark-only-secret-key",  # noqa: S106 - a throwaway benchmark database
) | {
    "DJANGO_TASKS_BACKEND": "database",
    "CLEVER_API_BASE": SANDBOX_URL,
    "CLEVER_OAUTH_BASE": SANDBOX_URL,
    "CLEVER_RATE_LIMIT": str(RATE),
    "FLEET_BENCH_SANDBOX_PORT": str(SANDBOX_PORT),
}
os.environ.clear()
os.environ.update(ENVIRONMENT)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from rosters import districts, jobs, services  # noqa: E402
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
    """Run `db_worker`, counting every SQL statement of every connection; write the counts (and peak RSS) at exit."""
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
        Path(stats_path).write_text(json.dumps({**counts, "peak_rss_mb": memory_mb()[1]}))


# --- The driver ----------------------------------------------------------------------------


def empty_tables() -> None:
    models = (Enrollment, SectionTeacher, Student, Section, SyncJob, SyncRun, Teacher, RateBudget, DistrictToken)
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # No ANALYZE afterwards: statistics saying "empty" would plan every foreign-key check of
        # the run as a sequential scan, kept for each worker's connection as the tables grow.
        cursor.execute(f"TRUNCATE {', '.join(tables)}, {DBTaskResult._meta.db_table} RESTART IDENTITY CASCADE")


def run_once(roster: dict, workers: int, stack: Stack, sandbox: Sandbox) -> dict:
    """Re-sync every teacher on `workers` db_worker processes; return what it took."""
    empty_tables()
    district_id = roster["districts"][0]["id"]
    Teacher.objects.bulk_create(Teacher(clever_id=t["id"], district_id=district_id) for t in roster["teachers"])
    services.district_tokens_import(actor=districts.Actor(command="bench-fleet"))  # as staff would in the admin
    sandbox.control("DELETE", "calls")

    processes = []
    for number in range(workers):
        stats = ARTIFACTS / f"worker-{workers}-{number}.json"
        argv = [sys.executable, "-m", "benchmarks.fleet_sync", "--worker", f"bench-{number}", str(stats)]
        processes.append((stack.start(f"worker-{workers}-{number}", argv, ENVIRONMENT), stats))
    time.sleep(4)  # let the workers start (Django set-up) before the clock starts
    meter = CpuMeter(
        {
            "workers": [process.pid for process, _ in processes],
            "sandbox": [sandbox.process.pid],
            "postgres": server_roots("postgres"),
        }
    )
    before = meter.sample()
    started = time.perf_counter()
    jobs.sync_jobs_enqueue(teachers=Teacher.objects.order_by("pk"), trigger=SyncRun.Trigger.COMMAND)
    enqueued = time.perf_counter() - started
    while SyncJob.objects.filter(status__in=SyncJob.ACTIVE).exists():
        time.sleep(0.2)
    wall = time.perf_counter() - started
    cpu = CpuMeter.used(before, meter.sample())
    stack.stop(*(process for process, _ in processes))  # SIGTERM: each writes its SQL counts as it exits
    sql = {"sync": 0, "budget": 0, "queue": 0, "jobs": 0}
    peak_rss_mb = []
    for _process, stats in processes:
        counts = json.loads(stats.read_text())
        peak_rss_mb.append(counts.pop("peak_rss_mb", 0))
        for kind, value in counts.items():
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
        "peak_rss_mb": max(peak_rss_mb, default=0),  # the largest worker's
        "cpu": cpu,
        "http": sum(SyncRun.objects.values_list("http_calls", flat=True)),
    }


def report(results: list[dict], args) -> None:
    print(
        f"\nFleet re-sync: {args.teachers} teachers x 5 sections x 30 students, PostgreSQL, "
        f"{os.cpu_count()} CPU cores, one district token, budget and sandbox limit {RATE:,}/min\n"
    )
    rows = []
    for r in results:
        syncs = max(1, r["syncs"])
        sql, cpu = r["sql"], r["cpu"]
        parts = " + ".join(f"{sql[kind] / syncs:.1f}" for kind in ("sync", "budget", "jobs", "queue"))
        retried = f", {r['retried']} retried" if r["retried"] else ""
        rows.append(
            (
                r["workers"],
                f"{r['wall']:.1f} s (enqueue {r['enqueue']:.1f} s)",
                f"{r['syncs'] / r['wall']:.1f}",
                f"{sum(sql.values()) / syncs:.1f} ({parts})",
                f"{r['http'] / syncs:.1f}",
                f"{r['failed_jobs']} jobs, {r['failed_runs']} runs{retried}",
                r["duplicates"],
                f"{cpu['workers']:.1f} / {cpu['sandbox']:.1f} / {cpu['postgres']:.1f}",
            )
        )
    header = [
        "workers",
        "wall time",
        "syncs/s",
        "SQL per sync (total: sync + budget + jobs + queue)",
        "HTTP per sync",
        "failures",
        "duplicate rows",
        "CPU s: workers / sandbox / PostgreSQL",
    ]
    print(markdown_table(header, rows, "rrrlrrrl"))
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

    postgres_database_prepare(ENVIRONMENT["DATABASE_URL"], fresh=False)
    call_command("migrate", verbosity=0)
    roster = generate_roster(teachers=args.teachers, sections_per_teacher=5, students_per_section=30, seed=2024)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    roster_file = ARTIFACTS / "roster.json"
    roster_file.write_text(json.dumps(roster))
    print(f"Serving {len(roster['students']):,} students from the sandbox on {SANDBOX_URL} …", flush=True)
    stack = Stack(ARTIFACTS)
    results = []
    try:
        sandbox = sandbox_start(stack, port=SANDBOX_PORT, env=ENVIRONMENT, roster=roster_file)
        sandbox.control("POST", "options", {"rate_limit": RATE})
        for workers in args.workers:
            print(f"{workers} worker{'s' if workers != 1 else ''} …", flush=True)
            results.append(run_once(roster, workers, stack, sandbox))
    finally:
        stack.stop()
    report(results, args)


if __name__ == "__main__":
    main()
