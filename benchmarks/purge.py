"""
Benchmark: `purge_data --apply` deleting 200,000 archived students and their enrollments.

Run with `make bench-purge` (or `python -m benchmarks.purge [--students N] [--batch-size N]`).

- PostgreSQL: PURGE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clever_purge_bench),
  created and migrated if needed; its roster tables are emptied and filled before each run.
- The roster, written with SQL (generate_series): 200 teachers, 2,000 sections; N students
  archived 120 days ago (past the 90-day window), each with one removed enrollment; and
  N / 10 current students, each with one current enrollment, which the purge must keep.
- Measured: a dry run (what the command prints first), then the purge (`privacy.services.data_purge`,
  what `purge_data --apply` runs): wall time, rows deleted per second, SQL statements in all
  and per batch (counted with a `connection.execute_wrapper`; per batch = the purge's
  statements minus those of a purge with nothing to delete, over the number of batches), and
  memory: the process's peak resident size (ru_maxrss) before and after each run, and with
  --trace-memory the peak of Python's allocations during it (tracemalloc, which slows the
  purge about twice: its wall times are then not the purge's).

How to read it: docs/benchmarks.md. Nothing here is a test: it asserts nothing.
"""

import argparse
import math
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import markdown_table
from benchmarks.stack import postgres_database_prepare, production_env

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/clever_purge_bench"
TEACHERS, SECTIONS = 200, 2000

os.environ.clear()
os.environ.update(
    production_env(
        database_url=os.environ.get("PURGE_BENCH_DATABASE_URL", DEFAULT_DATABASE),
        secret_key="purge-benchmark-only-secret-key",  # noqa: S106 - a throwaway benchmark database
    )
    | {"DATA_RETENTION_ARCHIVED_STUDENTS_DAYS": "90"}
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from privacy.services import data_purge  # noqa: E402
from rosters.models import Enrollment, Section, SectionTeacher, Student, Teacher  # noqa: E402


def roster_load(students: int) -> None:
    """Empty the roster tables and write the benchmark's roster with a few INSERT … SELECT statements."""
    tables = {model: connection.ops.quote_name(model._meta.db_table) for model in (Teacher, Section, Student)}
    links, enrollments = SectionTeacher._meta.db_table, Enrollment._meta.db_table
    current = students // 10
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {tables[Teacher]}, {tables[Section]}, {tables[Student]}, {links}, {enrollments} "
            "RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            f"INSERT INTO {tables[Teacher]} (clever_id, first_name, middle_name, last_name, email, title, "  # noqa: S608 - names, not data
            "district_id, school_id, school_name, sharing, token, created_at, updated_at) "
            "SELECT 'teacher-' || g, 'Teacher', '', 'T' || g, '', '', 'bench', '', '', 'district', '', now(), now() "
            "FROM generate_series(1, %s) g",
            [TEACHERS],
        )
        cursor.execute(
            f"INSERT INTO {tables[Section]} (clever_id, name, subject, grade, period, section_number, school_id, "  # noqa: S608 - names, not data
            "district_id, created_at, updated_at) "
            "SELECT 'section-' || g, 'Section ' || g, 'math', '5', '', '', '', 'bench', now(), now() "
            "FROM generate_series(1, %s) g",
            [SECTIONS],
        )
        cursor.execute(
            f"INSERT INTO {links} (section_id, teacher_id, is_primary) "  # noqa: S608 - names, not data
            "SELECT g, 1 + (g - 1) %% %s, true FROM generate_series(1, %s) g",
            [TEACHERS, SECTIONS],
        )
        # Students 1..N archived 120 days ago; N+1..N+N/10 current.
        cursor.execute(
            f"INSERT INTO {tables[Student]} (clever_id, first_name, middle_name, last_name, grade, archived_at, "  # noqa: S608 - names, not data
            "created_at, updated_at) "
            "SELECT 'student-' || g, 'First' || g, '', 'Last' || g, '5', "
            "CASE WHEN g <= %s THEN now() - interval '120 days' END, now(), now() "
            "FROM generate_series(1, %s) g",
            [students, students + current],
        )
        cursor.execute(
            f"INSERT INTO {enrollments} (section_id, student_id, removed_at, created_at) "  # noqa: S608 - names, not data
            "SELECT 1 + (g - 1) %% %s, g, CASE WHEN g <= %s THEN now() - interval '120 days' END, now() "
            "FROM generate_series(1, %s) g",
            [SECTIONS, students, students + current],
        )
        cursor.execute("VACUUM ANALYZE")


class StatementCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measured(*, apply: bool, batch_size: int, trace_memory: bool) -> dict:
    """Run one purge; return its report, wall time, statements and memory."""
    counter = StatementCounter()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = data_purge(apply=apply, now=timezone.now(), batch_size=batch_size)
    wall = time.perf_counter() - started
    peak = None
    if trace_memory:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "report": report,
        "wall": wall,
        "statements": counter.count,
        "python_peak": peak,
        "rss": (rss_before, rss_after),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200_000, help="Archived students to purge (default 200000).")
    parser.add_argument("--batch-size", type=int, default=1000, help="purge_data's --batch-size (default 1000).")
    parser.add_argument(
        "--trace-memory", action="store_true", help="Also trace Python's allocations (tracemalloc; slows the purge)."
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The purge benchmark needs PostgreSQL (PURGE_BENCH_DATABASE_URL).")

    postgres_database_prepare(os.environ["DATABASE_URL"], fresh=False)
    call_command("migrate", verbosity=0)
    print(f"Writing {args.students:,} archived students and {args.students // 10:,} current ones …", flush=True)
    started = time.perf_counter()
    roster_load(args.students)
    print(f"… in {time.perf_counter() - started:.1f} s. Purging …", flush=True)

    options = {"batch_size": args.batch_size, "trace_memory": args.trace_memory}
    dry = measured(apply=False, **options)
    purge = measured(apply=True, **options)
    idle = measured(apply=True, **options)  # nothing left: the fixed cost of a run

    kinds = {kind.name: kind.rows for kind in purge["report"].kinds}
    students, enrollments = kinds["archived_students"]["students"], kinds["archived_students"]["enrollments"]
    batches = math.ceil(students / args.batch_size)
    per_batch = (purge["statements"] - idle["statements"]) / batches
    print(
        f"\nPurge: {students:,} archived students and {enrollments:,} enrollments on PostgreSQL, "
        f"batch size {args.batch_size:,}, {os.cpu_count()} CPU cores\n"
    )
    rows = []
    for name, run in (("dry run (count only)", dry), ("--apply", purge), ("--apply again (nothing left)", idle)):
        deleted = run["report"].total if run["report"].applied else 0
        rows.append(
            (
                name,
                f"{run['wall']:.1f} s",
                f"{deleted / run['wall']:,.0f}" if deleted else "-",
                f"{run['statements']:,}",
                f"{run['rss'][0] / 1024:.0f} → {run['rss'][1] / 1024:.0f} MB",
                *([f"{run['python_peak'] / 1e6:.1f} MB"] if args.trace_memory else []),
            )
        )
    header = ["run", "wall time", "rows deleted / s", "SQL statements", "peak RSS before → after"]
    header += ["Python allocations, peak (tracemalloc)"] if args.trace_memory else []
    print(markdown_table(header, rows, "lrrrr" + "r" * args.trace_memory))
    print(
        f"\n{batches:,} batches of {args.batch_size:,} students; {per_batch:.1f} SQL statements per batch "
        f"({purge['statements']:,} in all, {idle['statements']} for a run with nothing to delete)."
    )
    print(f"Kept: {Student.objects.count():,} current students, {Enrollment.objects.count():,} enrollments.")


if __name__ == "__main__":
    main()
