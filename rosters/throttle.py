"""
`RateBudgetThrottle`: a Clever token's request budget, counted in the database so that
every worker on every host spends the same one.

It implements the client's `clever.http.Throttle` (asked before each request). Why a
table and not a lock: workers share nothing but PostgreSQL. Why fixed windows aligned on
Unix time: every process agrees on them without talking, as Clever's own windows do.
The row is keyed by a hash of the token, never the token. Rate budgets and how jobs
wait for them: docs/workers.md.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from .clever import CleverRateLimited
from .models import RateBudget

logger = logging.getLogger(__name__)

# Waiting out a window is normal, and a few when many workers share one token (who gets
# the next window's requests is first come, first served). A budget still spent after
# this many windows means something else is using the token up: the job is deferred,
# which frees the worker (and costs the requests it made, as the fetch starts again).
MAX_WINDOWS_WAITED = 10


def rate_budget_key(*, token: str) -> str:
    """Return the key a token's budget is stored under: a hash, so the token never is."""
    return hashlib.sha256(token.encode()).hexdigest()


class RateBudgetThrottle:
    """A fixed-window request budget per token, shared through the database.

    It is used from the threads a sync fetches sections with, so it writes through the
    database connection of the thread that created it, one request at a time (Django's
    connections are per thread, and a thread pool per sync would otherwise open a new
    connection per thread). That thread must not use its connection while the client
    runs, which holds for a fetch: it touches no table. Outside a transaction (as jobs
    run), each upsert commits at once, so other workers see it at once.
    """

    def __init__(
        self,
        *,
        token: str,
        limit: int | None = None,
        window: int | None = None,
        using: str = DEFAULT_DB_ALIAS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.key = rate_budget_key(token=token)
        self.limit = settings.CLEVER_RATE_LIMIT if limit is None else limit
        self.window = settings.CLEVER_RATE_LIMIT_WINDOW if window is None else window
        if self.limit < 1 or self.window < 1:
            raise ValueError("a rate budget needs a limit and a window of at least 1")
        self.clock = clock
        self.sleep = sleep
        self.waits = 0  # how many times a spent window made us wait, for logs and tests
        self._connection = connections[using]
        self._connection.inc_thread_sharing()
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self):
        return f"RateBudgetThrottle(limit={self.limit}, window={self.window})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._connection.dec_thread_sharing()

    def acquire(self) -> None:
        waited_windows = 0
        while True:
            now = self.clock()
            window_start = int(now // self.window) * self.window
            if self._take(window_start):
                return
            wait = window_start + self.window - now
            waited_windows += 1
            if waited_windows > MAX_WINDOWS_WAITED:
                raise CleverRateLimited("the shared rate budget stayed spent", status=None, retry_after=wait)
            self.waits += 1
            logger.info("Rate budget %s… spent for this window; waiting %.1f s", self.key[:8], wait)
            # A little jitter, so the workers that waited do not all ask at the same instant.
            self.sleep(wait + random.uniform(0, min(1.0, self.window / 10)))  # noqa: S311

    def _take(self, window_start: int) -> bool:
        """Count one request in this window unless it is spent; say whether it was counted."""
        table = self._connection.ops.quote_name(RateBudget._meta.db_table)
        key, start, used = (self._connection.ops.quote_name(name) for name in ("key", "window_start", "used"))
        # One statement, atomic on PostgreSQL and SQLite: concurrent workers each get a
        # distinct count, and none passes the limit.
        sql = (
            f"INSERT INTO {table} ({key}, {start}, {used}) VALUES (%s, %s, 1) "  # noqa: S608 - names, not data
            f"ON CONFLICT ({key}, {start}) DO UPDATE SET {used} = {table}.{used} + 1 "
            f"WHERE {table}.{used} < %s RETURNING {used}"
        )
        with self._lock, self._connection.cursor() as cursor:
            cursor.execute(sql, [self.key, window_start, self.limit])
            row = cursor.fetchone()
            if row is not None and row[0] == 1:
                # First request of a new window for this token: forget its older windows.
                cursor.execute(
                    f"DELETE FROM {table} WHERE {key} = %s AND {start} < %s",  # noqa: S608 - names, not data
                    [self.key, window_start],
                )
        return row is not None


def rate_budgets_delete(*, budgets: QuerySet[RateBudget]) -> dict[str, int]:
    """Delete these rate budgets (old windows the data policy purges); return rows per model label."""
    return budgets.delete()[1]
