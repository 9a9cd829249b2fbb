"""
Load check: N teachers at once log in with Clever (first login, then a returning one) against a
production-like stack, and nothing breaks: no errors, no duplicate rows, every roster exact.

Run with `make load-check` (options: `python -m benchmarks.load_check --help`); what it prints
and how to read it: docs/benchmarks.md. The story:

1. prepare the stack (`benchmarks.stack`): an emptied PostgreSQL database, migrated, with
   collectstatic; a flushed Redis cache; a generated district served by the sandbox in its own
   process, with Clever's rate limit; gunicorn with the production settings and the sandbox as
   "the real Clever". The one change from production: plain HTTP on 127.0.0.1, so the HTTPS
   redirect and secure cookies are off;
2. the first logins: every teacher at once, as a browser does (`benchmarks.load_login`): home,
   Log in with Clever, the sandbox's sign-in page, the callback, "No, I am new here", landing on
   /onboarding/ with their school prefilled; then the returning logins, each from a fresh
   browser (`benchmarks.load_phase`, which also watches the CPU and the accept queues);
3. the database checked in SQL against the generated roster (`benchmarks.load_database`);
4. the report, and the verdict: exit 1 when any login failed, any row is duplicated or the
   roster is not the generated one.

With --presync-district the district is synced as a whole (`sync_rosters --import-tokens
--district`) before the logins, so they find their classes there and skip the inline sync.

The processes it started are stopped at the end (also on Ctrl-C) unless --keep. This is a
measurement, not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu import CpuMeter, server_roots
from benchmarks.load_database import DatabaseCheck, check_database, print_database
from benchmarks.load_login import CALLBACK_PATH
from benchmarks.load_phase import SANDBOX_PART, Phase, print_phase, run_phase
from benchmarks.report import ms, percentile
from benchmarks.stack import (
    BASE_DIR,
    Stack,
    free_ports,
    gunicorn_start,
    manage,
    postgres_database_prepare,
    production_env,
    redis_flush,
    sandbox_start,
)
from sandbox.generate import generate_roster
from sandbox.management.commands.clever_sandbox import SandboxServer

ARTIFACTS = BASE_DIR / "artifacts" / "load-check"
CLEVER_RATE_LIMIT = 1200  # requests a minute per token, as clever.com


def overlap_roster(roster: dict) -> dict:
    """Make neighbouring teachers share classes, as in a secondary school: each teacher co-teaches the
    next teacher's first section, and each section also enrolls the students of the next teacher's
    section of the same period. Concurrent logins then write the same section, student and link rows."""
    by_teacher = defaultdict(list)
    for section in roster["sections"]:
        by_teacher[section["teachers"][0]].append(section)
    teachers = [teacher["id"] for teacher in roster["teachers"]]
    if len(teachers) < 2:
        return roster
    for n, teacher_id in enumerate(teachers):
        neighbour = by_teacher[teachers[(n + 1) % len(teachers)]]
        neighbour[0]["teachers"].append(teacher_id)
        for own, theirs in zip(by_teacher[teacher_id], neighbour, strict=True):
            own["students"] = own["students"] + [s for s in theirs["students"] if s not in own["students"]]
    return roster


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--teachers", type=int, default=50, help="Simulated teachers (default 50).")
    parser.add_argument("--concurrency", type=int, help="Teachers logging in at the same time (default: all of them).")
    parser.add_argument("--sections", type=int, default=5, help="Sections per teacher (default 5).")
    parser.add_argument("--students", type=int, default=25, help="Students per section (default 25).")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3).")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
    parser.add_argument("--seed", type=int, default=6, help="Roster seed (default 6).")
    parser.add_argument(
        "--overlap",
        action="store_true",
        help="Neighbouring teachers share a section (co-teaching) and students, so concurrent syncs "
        "write the same rows (default: every teacher's classes are their own).",
    )
    parser.add_argument(
        "--presync-district",
        action="store_true",
        help="Sync the whole district with its token before the logins (sync_rosters --import-tokens --district): "
        "the logins then find their classes there and make no roster call (ROSTER_DISTRICT_FRESH_MINUTES).",
    )
    parser.add_argument(
        "--clever-latency",
        type=int,
        default=0,
        metavar="MS",
        help="Answer every Clever API call and code exchange MS milliseconds late, as a Clever across the "
        "internet would (a sandbox 'slow' fault; default 0: the sandbox on this machine answers at once).",
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database (default postgres://postgres@127.0.0.1:5432).",
    )
    parser.add_argument(
        "--database", default="clever_loadcheck", help="Database to empty and use (default clever_loadcheck)."
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/14", help="Cache URL, flushed first (default db 14)."
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds a browser waits for one answer.")
    parser.add_argument(
        "--keep", action="store_true", help="Leave gunicorn and the sandbox running at the end (and on failure)."
    )
    args = parser.parse_args(argv)
    args.concurrency = args.concurrency or args.teachers
    if min(args.teachers, args.concurrency, args.sections, args.students, args.workers, args.threads) < 1:
        parser.error("counts must be at least 1")
    if args.clever_latency < 0:
        parser.error("--clever-latency must be 0 or more")
    return args


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (cmd &)
    stack = Stack(ARTIFACTS)
    try:
        return run(args, stack)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        if args.keep and stack.processes:
            print("\n--keep: left running (stop them with the kill commands):")
            for process in stack.processes:
                print(f"    {process.name} at {process.url}/: kill -TERM -{process.pid}   (log {process.log})")
        else:
            stack.stop()


def run(args, stack: Stack) -> int:
    app_port, sandbox_port = free_ports(2)
    app = f"http://127.0.0.1:{app_port}"
    print(f"Load check: {args.teachers} teachers, preparing the stack (logs in {ARTIFACTS.relative_to(BASE_DIR)}/)")

    database_url = f"{args.postgres.rstrip('/')}/{args.database}"
    postgres_database_prepare(database_url, fresh=True)
    redis_flush(args.redis)
    env = production_env(database_url=database_url, cache_url=args.redis, secret_key=secrets.token_urlsafe(50))
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)

    roster = generate_roster(
        teachers=args.teachers,
        sections_per_teacher=args.sections,
        students_per_section=args.students,
        seed=args.seed,
    )
    if args.overlap:
        roster = overlap_roster(roster)
    sections_per_teacher = sum(len(section["teachers"]) for section in roster["sections"]) / args.teachers
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    roster_file = ARTIFACTS / "roster.json"
    roster_file.write_text(json.dumps(roster))
    # Clever is another service: its own secret key, the product's callback as the registered redirect URI.
    sandbox = sandbox_start(
        stack,
        port=sandbox_port,
        env=env | {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
        roster=roster_file,
        redirect_uri=f"{app}{CALLBACK_PATH}",
    )
    app_env = env | {"CLEVER_OAUTH_BASE": sandbox.url, "CLEVER_API_BASE": sandbox.url}
    gunicorn = gunicorn_start(stack, port=app_port, env=app_env, workers=args.workers, threads=args.threads)
    rate_limit = sandbox.control("GET", "options")["options"]["rate_limit"]
    if rate_limit != CLEVER_RATE_LIMIT:
        raise SystemExit(f"the sandbox's rate limit is {rate_limit}, not Clever's {CLEVER_RATE_LIMIT}")
    if args.presync_district:
        print("Syncing the district ahead of the logins (sync_rosters --import-tokens --district) ...", flush=True)
        manage("sync_rosters", "--import-tokens", "--district", roster["districts"][0]["id"], env=app_env)
    if args.clever_latency:
        delay = args.clever_latency / 1000
        sandbox.control(
            "POST",
            "faults",
            [{"path": path, "kind": "slow", "delay": delay, "times": None} for path in ("/oauth/tokens", "/v2.*/**")],
        )
    sandbox.control("DELETE", "calls")

    meter = CpuMeter(
        {
            "gunicorn (master + workers)": [gunicorn.pid],
            SANDBOX_PART: [sandbox.process.pid],
            "PostgreSQL (all databases)": server_roots("postgres"),
            "Redis": server_roots("redis-server"),
        }
    )
    print_configuration(args, app=app, sandbox=sandbox.url, database_url=database_url, rate_limit=rate_limit)
    phases = []
    for name in ("first", "returning"):
        print(f"\nRunning the {name} logins...", flush=True)
        phases.append(
            run_phase(
                name=name,
                roster=roster,
                app=app,
                sandbox=sandbox,
                concurrency=args.concurrency,
                timeout=args.timeout,
                meter=meter,
                access_log=gunicorn.log,
                ports={"gunicorn": app_port, "sandbox": sandbox_port},
            )
        )
    login_syncs = 0 if args.presync_district else len(phases)
    check = check_database(database_url=database_url, roster=roster, logins_per_teacher=login_syncs)

    for phase in phases:
        sections = None if args.presync_district else sections_per_teacher
        print_phase(phase, sections=sections, sandbox_backlog=SandboxServer.request_queue_size)
    print_database(check)
    return print_result(phases, check)


def print_configuration(args, *, app: str, sandbox: str, database_url: str, rate_limit: int) -> None:
    students = args.teachers * args.sections * args.students
    print("\n# Load check: Clever login and roster sync\n")
    print(f"- teachers: {args.teachers}, at once: {args.concurrency}")
    print(
        f"- roster: {args.sections} sections x {args.students} students per teacher "
        f"({args.teachers * args.sections:,} sections, {students:,} students, one district, seed {args.seed})"
    )
    if args.overlap:
        print(
            "  overlapping (--overlap): each teacher co-teaches the next one's first section, and each section "
            "also enrolls the next teacher's students of the same period"
        )
    if args.presync_district:
        print("  synced ahead (--presync-district): the whole district before the logins, which skip their sync")
    print(
        f"- product: gunicorn {args.workers} workers x {args.threads} threads at {app}, "
        f"DJANGO_DEBUG off, PostgreSQL {database_url}, cache {args.redis}"
    )
    print("  plain HTTP: DJANGO_SECURE_SSL_REDIRECT, DJANGO_SESSION_COOKIE_SECURE, DJANGO_CSRF_COOKIE_SECURE off")
    print(f"- Clever: `manage.py clever_sandbox` (one threaded process) at {sandbox}, {rate_limit} requests/min/token")
    if args.clever_latency:
        print(f"  every API call and code exchange answered {args.clever_latency} ms late (--clever-latency)")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"- machine: {os.cpu_count()} cores, load average before the run {load} (shared with other work)")


def print_result(phases: list[Phase], check: DatabaseCheck) -> int:
    """Print the verdict; return 1 when any login failed, any row is duplicated or the roster differs, else 0."""
    errors = sum(len(phase.errors) for phase in phases)
    print("\n## Result\n")
    for phase in phases:
        ok = phase.succeeded
        print(
            f"- {phase.name} login: {len(ok) / phase.wall:.2f} logins/s, p50 {ms(percentile(ok, 50))}, "
            f"p95 {ms(percentile(ok, 95))}, errors {len(phase.errors)}, sandbox calls {len(phase.sandbox_calls)}, "
            f"product log warnings/errors {sum(phase.log_problems.values())}"
        )
    print(f"- errors: {errors} (must be 0)")
    print(f"- duplicate rows: {check.duplicate_rows} (must be 0)")
    print(f"- roster equals the generated one: {'yes' if not check.mismatches else 'NO'}")
    failed = errors or check.duplicate_rows or check.mismatches
    print(f"\n{'FAILED' if failed else 'PASSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
