"""
The HTTP layer under the Clever client: timeouts, the retry policy, rate-limit headers.

Every request to Clever goes through `Http.request`, so the policy lives in one place:
a timeout on every call; 429 waits for Retry-After or X-RateLimit-Reset (a value that
cannot be read counts as absent) up to `max_wait`; 500/502/503/504 and connection
errors back off with jitter; anything else is returned for the caller to judge.
Callers that must not repeat a request (the token exchange) pass `retry=False`.

Each thread gets its own `requests.Session` (requests does not promise that a Session is
thread-safe, and a sync fetches sections from several threads). A `Throttle` is asked
before every attempt; the protocol lives here, with the code that calls it
(rosters.throttle implements it). Tokens, codes and Authorization headers never reach
the logs: only the method, the path and the status do.

How it fits with the rest: docs/architecture.md.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings

from .errors import (
    CleverBadRequest,
    CleverBadResponse,
    CleverNotFound,
    CleverRateLimited,
    CleverUnauthorized,
    CleverUnavailable,
)
from .records import text

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
RETRY_STATUSES = frozenset({500, 502, 503, 504})
BACKOFF_BASE = 0.5  # seconds; doubles each attempt, with jitter
BACKOFF_CAP = 8.0
# Clever's rate windows are a minute long; a reset said to be further away than this is
# read as this far, so a job deferred on it still comes back.
RATE_LIMIT_WAIT_CAP = 3600.0


class Throttle(Protocol):
    """What `Http` asks before each request it sends (rosters.throttle.RateBudgetThrottle is one)."""

    def acquire(self) -> None:
        """Return when one more request may be sent; raise CleverRateLimited to give up."""


# --- Reading replies ------------------------------------------------------------------------


def error_detail(response: requests.Response) -> str:
    """Return Clever's own words for an error, from `error`, `message` or `error_description`."""
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type or response.text[:1] in ("{", "["):
        try:
            body = response.json()
        except ValueError:
            return "unreadable error body"
        if isinstance(body, dict):
            words = [text(body, key) for key in ("error", "error_description", "message")]
            return " - ".join(dict.fromkeys(word for word in words if word))
        return ""
    if "html" in content_type or response.text.lstrip()[:1] == "<":
        return "an HTML page instead of JSON"
    return ""


def raise_for_status(response: requests.Response) -> None:
    """Raise the CleverError a 4xx or 5xx status means; return for anything below 400."""
    status = response.status_code
    if status < 400:
        return
    detail = error_detail(response)
    if status == 401:
        raise CleverUnauthorized(detail, status=status)
    if status == 404:
        raise CleverNotFound(detail, status=status)
    if status == 429:
        raise CleverRateLimited(detail, status=status)
    if status >= 500 and status != 501:
        raise CleverUnavailable(detail, status=status)
    raise CleverBadRequest(detail, status=status)


def json_body(response: requests.Response) -> object:
    """Return the reply's JSON, or raise the CleverError its status or its unreadable body means."""
    raise_for_status(response)
    try:
        return response.json()
    except ValueError:
        if response.text.lstrip()[:1] == "<":
            raise CleverBadResponse("an HTML page instead of JSON", status=response.status_code) from None
        raise CleverBadResponse("malformed JSON", status=response.status_code) from None


# --- Rate-limit headers ---------------------------------------------------------------------


def rate_limit_wait(headers: Mapping[str, str], *, now: float) -> float | None:
    """Return how many seconds a 429 asks us to wait, or None when it does not say in a way we can read.

    Retry-After (seconds, or an HTTP date) comes first, then X-RateLimit-Reset (Unix
    seconds). A value that cannot be read (`soon`, a negative or endless number, an
    impossible date) counts as absent. `now` is the Unix time the dates are measured from.
    """
    wait = _retry_after(headers.get("Retry-After") or "", now=now)
    if wait is None:
        reset = _seconds(headers.get("X-RateLimit-Reset") or "")
        wait = None if reset is None else max(0.0, reset - now)
    return None if wait is None else min(wait, RATE_LIMIT_WAIT_CAP)


def _seconds(value: str) -> float | None:
    """Return a finite, non-negative number of seconds, or None."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _retry_after(value: str, *, now: float) -> float | None:
    if not value.strip():
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": a UTC time whose sender says nothing of its own zone
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


# --- Requests -------------------------------------------------------------------------------


class Http:
    """Send requests to Clever with our timeout, retry policy, throttle and call counter.

    Safe to share between threads: each thread sends through a Session of its own, and
    `close()` closes them all.
    """

    def __init__(
        self,
        *,
        timeout: float | None,
        max_wait: float | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float] = time.time,
        throttle: Throttle | None = None,
    ):
        self.timeout = settings.CLEVER_HTTP_TIMEOUT if timeout is None else timeout
        self.max_wait = settings.CLEVER_RETRY_MAX_WAIT if max_wait is None else max_wait
        self.sleep = sleep
        self.clock = clock
        self.throttle = throttle
        self.calls = 0
        self._calls = itertools.count(1)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def _count(self) -> None:
        with self._lock:
            self.calls = next(self._calls)

    def request(self, method: str, url: str, *, retry: bool = True, **kwargs) -> requests.Response:
        """Send one request, retried as the policy says; return the last response (any status).

        Raise CleverUnavailable when Clever cannot be reached, CleverRateLimited when its
        rate limit holds longer than `max_wait` (or past the last attempt).
        """
        path = urlsplit(url).path
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS or not retry
            if self.throttle is not None:
                # Every attempt counts against Clever's per-token limit, retries included.
                self.throttle.acquire()
            self._count()
            started = time.monotonic()
            try:
                response = self._session().request(method, url, timeout=self.timeout, **kwargs)
            # ChunkedEncodingError: the connection closed before the whole body arrived.
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                logger.warning("Clever %s %s %s (attempt %d)", method, path, kind, attempt)
                if last:
                    raise CleverUnavailable(kind) from None
                self.sleep(self._backoff(attempt))
                continue
            logger.info(
                "Clever %s %s -> %s in %.0f ms",
                method,
                path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if response.status_code == 429:
                wait = rate_limit_wait(response.headers, now=self.clock())
                wait = BACKOFF_BASE if wait is None else wait + random.uniform(0, 0.25)  # noqa: S311
                if last or wait > self.max_wait:
                    raise CleverRateLimited(f"rate limited; retry in {wait:.0f}s", retry_after=wait)
                self.sleep(wait)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                self.sleep(self._backoff(attempt))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _backoff(attempt: int) -> float:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()  # a request after close() opens (and registers) a new Session
        for session in sessions:
            session.close()
