"""
Benchmark: a whole district synced from a handful of Clever calls, against today's per-teacher path.

Run with `make bench-district` (or `python -m benchmarks.district_sync [--teachers N] [--large N]`).

- A generated district: 1,000 teachers x 5 sections x 30 students, 30,000 students shared
  among their school's sections (`generate_roster(..., students=30000)`), served by
  `manage.py clever_sandbox` in its own process; PostgreSQL at DISTRICT_BENCH_DATABASE_URL
  (default postgres://postgres@127.0.0.1:5432/clever_district_bench), created and migrated
  if needed, its roster tables emptied before each part.
- Side by side, in one run:
  1. today's per-teacher path: one job per teacher on 4 `db_worker` processes, exactly as
     `make bench-fleet` runs it (`benchmarks.fleet_sync.run_once`, reused);
  2. the district snapshot, in one process: `rosters.sync.district`'s fetch, then its apply;
  3. an incremental sync from Clever's events after 100 random changes
     (`POST /_control/mutate`, `sandbox.generate.roster_mutate`), from a known position;
  4. the snapshot alone of a 10,000-teacher district (300,000 students), to see what grows.
- For each: Clever calls, SQL statements, wall time, and peak memory (the largest process's
  peak RSS, and what it was once Django had started). Parts 2 to 4 run in a child process
  of their own (`--child`), so its memory is the sync's alone.

The rate budget and the sandbox's limit are raised to 10,000,000 a minute, as in
`make bench-fleet`: what the syncs cost is measured, not Clever's 1,200 a minute (at which the
per-teacher path's 8,000 requests take 7 minutes, and the snapshot's 7 requests a second).
How to read the table: docs/benchmarks.md. Nothing here is a test: it asserts nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/clever_district_bench"
# The fleet benchmark's configuration, on this benchmark's own database: importing it sets up
# Django with it (DATABASE_URL, the sandbox process as Clever, the raised rate budget).
os.environ["FLEET_BENCH_DATABASE_URL"] = os.environ.get("DISTRICT_BENCH_DATABASE_URL", DEFAULT_DATABASE)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks import fleet_sync  # noqa: E402
from benchmarks.cpu import memory_mb  # noqa: E402
from benchmarks.report import markdown_table  # noqa: E402
from benchmarks.stack import BASE_DIR, Stack, postgres_database_prepare, sandbox_start  # noqa: E402
from rosters import districts, services  # noqa: E402
from rosters.models import DistrictToken, Enrollment, Section, Student, Teacher  # noqa: E402
from rosters.sync.district import (  # noqa: E402
    EventPosition,
    district_apply,
    district_client,
    district_events_fetch,
    district_snapshot_fetch,
)
from sandbox.generate import generate_roster  # noqa: E402

ARTIFACTS = BASE_DIR / "artifacts" / "district-bench"
SEED = 2024


# --- In the child process: one district sync, measured -----------------------------------------


def child_main(mode: str, stats_path: str) -> None:
    """Sync the one district (`full` or `events`) with the engine; write what it took as JSON."""
    statements = {"fetch": 0, "apply": 0}
    phase = "fetch"

    def count(execute, sql, params, many, context):
        statements[phase] += 1
        return execute(sql, params, many, context)

    rss_start = memory_mb()[0]
    with connection.execute_wrapper(count):
        district = DistrictToken.objects.get()
        started = time.perf_counter()
        with district_client(token=district.token) as client:
            start = EventPosition.of(district)
            if mode == "full":
                fetched = district_snapshot_fetch(client=client, district_id=district.district_id, start=start)
            else:
                fetched = district_events_fetch(
                    client=client,
                    district_id=district.district_id,
                    start=start,
                    positioned_at=district.last_synced_at,
                    now=timezone.now(),
                )
        fetched_at = time.perf_counter()
        phase = "apply"
        applied = district_apply(district_pk=district.pk, fetched=fetched)
        finished = time.perf_counter()
    Path(stats_path).write_text(
        json.dumps(
            {
                "mode": "full" if fetched.full else "events",
                "calls": fetched.http_calls,
                "records": fetched.records,
                "changes": applied.counts.total,
                "sql_fetch": statements["fetch"],
                "sql_apply": statements["apply"],
                "fetch": fetched_at - started,
                "apply": finished - fetched_at,
                "rss_start_mb": rss_start,
                "rss_peak_mb": memory_mb()[1],
                "notes": list(fetched.notes),
            }
        )
    )


def child(mode: str, name: str) -> dict:
    """Run one measured district sync in a child process; return its stats."""
    stats = ARTIFACTS / f"{name}.json"
    log = ARTIFACTS / f"{name}.log"
    with log.open("wb") as out:
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "benchmarks.district_sync", "--child", mode, str(stats)],
            cwd=BASE_DIR,
            env=fleet_sync.ENVIRONMENT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return json.loads(stats.read_text())


# --- The driver ----------------------------------------------------------------------------


def rows() -> tuple[int, int, int, int]:
    return (
        Teacher.objects.count(),
        Section.objects.count(),
        Student.objects.count(),
        Enrollment.objects.filter(removed_at__isnull=True).count(),
    )


def district_ready() -> None:
    """Start from empty roster tables and the district's token, as staff import it."""
    fleet_sync.empty_tables()
    services.district_tokens_import(actor=districts.Actor(command="bench-district"))


def serve(stack: Stack, roster: dict, name: str) -> fleet_sync.Sandbox:
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(roster))
    sandbox = sandbox_start(stack, port=fleet_sync.SANDBOX_PORT, env=fleet_sync.ENVIRONMENT, roster=path, name=name)
    sandbox.control("POST", "options", {"rate_limit": fleet_sync.RATE})
    return sandbox


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--teachers", type=int, default=1000, help="Teachers in the district (default 1000).")
    parser.add_argument("--workers", type=int, default=4, help="Workers for the per-teacher path (default 4).")
    parser.add_argument("--changes", type=int, default=100, help="Changes before the incremental sync (100).")
    parser.add_argument(
        "--large", type=int, default=10000, help="Teachers of the large district, snapshot only (0: skip it)."
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The district benchmark needs PostgreSQL (DISTRICT_BENCH_DATABASE_URL).")
    postgres_database_prepare(fleet_sync.ENVIRONMENT["DATABASE_URL"], fresh=False)
    call_command("migrate", verbosity=0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    fleet_sync.ARTIFACTS.mkdir(parents=True, exist_ok=True)  # where its workers write their counts

    def district(teachers: int) -> dict:
        return generate_roster(
            teachers=teachers, sections_per_teacher=5, students_per_section=30, students=teachers * 30, seed=SEED
        )

    roster = district(args.teachers)
    results = {}
    stack = Stack(ARTIFACTS)
    try:
        sandbox = serve(stack, roster, "sandbox")
        print(f"Per-teacher path: {args.teachers:,} jobs on {args.workers} workers …", flush=True)
        results["per-teacher"] = fleet_sync.run_once(roster, args.workers, stack, sandbox) | {"rows": rows()}

        print("District snapshot …", flush=True)
        district_ready()
        results["snapshot"] = child("full", "snapshot") | {"rows": rows()}

        sandbox.control("POST", "mutate", {"changes": 1, "seed": 1})
        child("events", "warm-up")  # the position is now an event Clever has, as in steady state
        recorded = sandbox.control("POST", "mutate", {"changes": args.changes, "seed": 2})
        print(f"Incremental sync after {args.changes} changes ({recorded.get('events')} events) …", flush=True)
        results["events"] = child("events", "events") | {"rows": rows(), "events": recorded.get("events")}
        stack.stop()

        if args.large:
            print(f"Snapshot of a {args.large:,}-teacher district …", flush=True)
            serve(stack, district(args.large), "sandbox-large")
            district_ready()
            results["large"] = child("full", "large") | {"rows": rows()}
    finally:
        stack.stop()
    report(results, args)


def report(results: dict, args) -> None:
    print(
        f"\nDistrict sync: {args.teachers:,} teachers x 5 sections x 30 students ({args.teachers * 30:,} students), "
        f"PostgreSQL, {os.cpu_count()} CPU cores, sandbox in its own process, "
        f"CLEVER_DISTRICT_PAGE_SIZE {fleet_sync.ENVIRONMENT.get('CLEVER_DISTRICT_PAGE_SIZE', '10000')}\n"
    )
    table = []
    fleet = results["per-teacher"]
    table.append(
        (
            f"per-teacher path, {args.workers} workers",
            f"{fleet['http']:,}",
            f"{sum(fleet['sql'].values()):,} (sync {fleet['sql']['sync']:,})",
            f"{fleet['wall']:.1f} s",
            f"{fleet['peak_rss_mb']:.0f} MB per worker",
            "{:,} / {:,} / {:,} / {:,}".format(*fleet["rows"]),
        )
    )
    labels = {
        "snapshot": "district snapshot, 1 process",
        "events": f"incremental, {args.changes} changes ({results['events'].get('events')} events)",
        "large": f"snapshot of {args.large:,} teachers",
    }
    for key, label in labels.items():
        if key not in results:
            continue
        r = results[key]
        table.append(
            (
                label,
                f"{r['calls']:,}",
                f"{r['sql_fetch'] + r['sql_apply']:,} (apply {r['sql_apply']:,})",
                f"{r['fetch'] + r['apply']:.2f} s (read {r['fetch']:.2f}, apply {r['apply']:.2f})",
                f"{r['rss_peak_mb']:.0f} MB (at start {r['rss_start_mb']:.0f})",
                "{:,} / {:,} / {:,} / {:,}".format(*r["rows"]),
            )
        )
    header = ["sync", "Clever calls", "SQL statements", "wall time", "peak memory"]
    header.append("teachers / sections / students / enrollments")
    print(markdown_table(header, table, "lrrrrr"))
    snapshot = results["snapshot"]
    speedup = fleet["wall"] / max(snapshot["fetch"] + snapshot["apply"], 1e-9)
    print(f"\nThe snapshot is {speedup:.0f}x faster than the per-teacher path on {args.workers} workers.")
    for key in ("snapshot", "events", "large"):
        for note in results.get(key, {}).get("notes", []):
            print(f"- {labels[key]}: {note}")


if __name__ == "__main__":
    main()
