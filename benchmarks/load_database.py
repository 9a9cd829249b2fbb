"""
The load check's verdict on the database: after the logins, compare the load database with the
generated roster in SQL (one account, Clever identity and teacher per teacher, no duplicate
rows, every login sync succeeded, the roster exactly as generated) and print what was found.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg

from benchmarks.report import markdown_table, spread


def _surplus(table: str, key: str, where: str = "") -> str:
    """SQL for the rows beyond the first of each `key` in `table`."""
    where = f"WHERE {where} " if where else ""
    # Table and key names are this module's constants, never input.
    groups = f"SELECT COUNT(*) AS n FROM {table} {where}GROUP BY {key} HAVING COUNT(*) > 1"  # noqa: S608
    return f"SELECT COALESCE(SUM(n - 1), 0) FROM ({groups}) AS duplicated"  # noqa: S608


DUPLICATE_QUERIES = {
    "accounts per Clever id": _surplus("socialaccount_socialaccount", "provider, uid"),
    "Clever identities per account": _surplus("socialaccount_socialaccount", "provider, user_id"),
    "accounts without a Clever identity": "SELECT COUNT(*) FROM accounts_user u WHERE NOT EXISTS "
    "(SELECT 1 FROM socialaccount_socialaccount s WHERE s.user_id = u.id)",
    "email addresses": _surplus("account_emailaddress", "lower(email)"),
    "teachers per Clever id": _surplus("rosters_teacher", "clever_id"),
    "teachers per account": _surplus("rosters_teacher", "user_id", "user_id IS NOT NULL"),
    "sections per Clever id": _surplus("rosters_section", "clever_id"),
    "students per Clever id": _surplus("rosters_student", "clever_id"),
    "section teachers": _surplus("rosters_sectionteacher", "section_id, teacher_id"),
    "enrollments": _surplus("rosters_enrollment", "section_id, student_id"),
    "onboardings per account": _surplus("onboarding_onboarding", "user_id"),
}


@dataclass
class DatabaseCheck:
    duplicates: dict[str, int]  # what -> surplus rows
    counts: list[tuple[str, int, int]]  # what, expected, found
    mismatches: list[str]
    sync_seconds: list[float]
    sync_http_calls: Counter

    @property
    def duplicate_rows(self) -> int:
        return sum(self.duplicates.values())


def check_database(*, database_url: str, roster: dict, logins_per_teacher: int) -> DatabaseCheck:
    """Compare the load database with the generated roster, in SQL.

    `logins_per_teacher`: the login syncs each teacher should have (0 when the district was
    synced ahead and the logins skipped theirs).
    """
    teachers = {teacher["id"] for teacher in roster["teachers"]}
    sections = {section["id"] for section in roster["sections"]}
    students = {student["id"] for student in roster["students"]}
    enrollments = {(section["id"], student) for section in roster["sections"] for student in section["students"]}
    section_teachers = {(section["id"], teacher) for section in roster["sections"] for teacher in section["teachers"]}
    mismatches = []
    with psycopg.connect(database_url, connect_timeout=5) as conn:

        def rows(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()

        def one(sql: str):
            return rows(sql)[0][0]

        duplicates = {what: int(one(sql)) for what, sql in DUPLICATE_QUERIES.items()}
        linked = set(
            rows(
                "SELECT t.clever_id, s.uid FROM rosters_teacher t "
                "JOIN socialaccount_socialaccount s ON s.user_id = t.user_id AND s.provider = 'clever'"
            )
        )
        found = {
            "teachers": {clever_id for (clever_id,) in rows("SELECT clever_id FROM rosters_teacher")},
            "sections": {clever_id for (clever_id,) in rows("SELECT clever_id FROM rosters_section")},
            "students": {clever_id for (clever_id,) in rows("SELECT clever_id FROM rosters_student")},
            "enrollments": set(
                rows(
                    "SELECT s.clever_id, st.clever_id FROM rosters_enrollment e "
                    "JOIN rosters_section s ON s.id = e.section_id JOIN rosters_student st ON st.id = e.student_id "
                    "WHERE e.removed_at IS NULL"
                )
            ),
            "section teachers": set(
                rows(
                    "SELECT s.clever_id, t.clever_id FROM rosters_sectionteacher x "
                    "JOIN rosters_section s ON s.id = x.section_id JOIN rosters_teacher t ON t.id = x.teacher_id"
                )
            ),
        }
        expected = {
            "teachers": teachers,
            "sections": sections,
            "students": students,
            "enrollments": enrollments,
            "section teachers": section_teachers,
        }
        counts = [
            ("accounts", len(teachers), one("SELECT COUNT(*) FROM accounts_user")),
            ("Clever identities", len(teachers), one("SELECT COUNT(*) FROM socialaccount_socialaccount")),
            ("teachers linked to their account", len(teachers), len({t for t, uid in linked if t == uid})),
            *((what, len(expected[what]), len(found[what])) for what in expected),
            ("removed enrollments", 0, one("SELECT COUNT(*) FROM rosters_enrollment WHERE removed_at IS NOT NULL")),
            ("archived students", 0, one("SELECT COUNT(*) FROM rosters_student WHERE archived_at IS NOT NULL")),
            (
                "premium accounts (district-shared)",
                len(teachers),
                one("SELECT COUNT(*) FROM accounts_user WHERE plan = 'premium'"),
            ),
            (
                "login syncs",
                len(teachers) * logins_per_teacher,
                one("SELECT COUNT(*) FROM rosters_syncrun WHERE trigger = 'login'"),
            ),
            (
                "login syncs that succeeded",
                len(teachers) * logins_per_teacher,
                one("SELECT COUNT(*) FROM rosters_syncrun WHERE trigger = 'login' AND outcome = 'success'"),
            ),
        ]
        for what, want, got in counts:
            if want != got:
                mismatches.append(f"{what}: expected {want}, found {got}")
        for what, want in expected.items():
            if found[what] != want:
                missing, extra = len(want - found[what]), len(found[what] - want)
                mismatches.append(f"{what} differ from the generated roster: {missing} missing, {extra} extra")
        per_teacher = rows(
            "SELECT t.clever_id, COUNT(r.id) FROM rosters_teacher t LEFT JOIN rosters_syncrun r "
            "ON r.teacher_id = t.id AND r.trigger = 'login' AND r.outcome = 'success' GROUP BY t.clever_id"
        )
        wrong = [clever_id for clever_id, runs in per_teacher if runs != logins_per_teacher]
        if wrong:
            mismatches.append(
                f"{len(wrong)} teachers do not have exactly {logins_per_teacher} successful login syncs, "
                f"e.g. {wrong[0]}"
            )
        for error, number in rows(
            "SELECT error, COUNT(*) FROM rosters_syncrun WHERE outcome <> 'success' GROUP BY error ORDER BY 2 DESC"
        )[:5]:
            mismatches.append(f"{number} syncs did not succeed: {error or '(still running)'}")
        syncs = rows(
            "SELECT EXTRACT(EPOCH FROM finished_at - started_at), http_calls FROM rosters_syncrun "
            "WHERE trigger = 'login' AND finished_at IS NOT NULL"
        )
    return DatabaseCheck(
        duplicates=duplicates,
        counts=counts,
        mismatches=mismatches,
        sync_seconds=[float(seconds) for seconds, _calls in syncs],
        sync_http_calls=Counter(calls for _seconds, calls in syncs),
    )


def print_database(check: DatabaseCheck) -> None:
    print("\n## Database after both phases (SQL)\n")
    rows = [
        (what, f"{want:,}", f"{got:,}{'' if want == got else '  <-- differs'}") for what, want, got in check.counts
    ]
    print(markdown_table(["what", "expected", "found"], rows, "lrr"))
    print(
        f"\nLogin syncs: {spread(check.sync_seconds)}; HTTP calls per sync: "
        + ", ".join(f"{calls} ({number}x)" for calls, number in sorted(check.sync_http_calls.items()))
    )
    print("Duplicate rows:")
    for what, surplus in check.duplicates.items():
        print(f"    {surplus:>6}  {what}")
    for problem in check.mismatches:
        print(f"  mismatch: {problem}")
