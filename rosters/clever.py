"""
The one module that speaks HTTP to Clever: the OAuth token endpoint and the data API.

Clever's JSON is parsed here, once, into the frozen dataclasses below; nothing else
in the project digs through Clever's nested dicts. Every failure becomes a
`CleverError` subclass whose `user_message` can be shown to a teacher as it is.

Retry policy (DESIGN.md): 429 waits for Retry-After or X-RateLimit-Reset, up to
CLEVER_RETRY_MAX_WAIT (a value we cannot read counts as absent); 500/502/503/504,
connection errors and replies cut off mid-body back off with jitter;
400/401/404/413/501 are never retried; the token exchange POST is never retried.
Tokens, codes and Authorization headers never appear in logs or error texts.
"""

from __future__ import annotations

import datetime
import email.utils
import itertools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .throttle import Throttle

logger = logging.getLogger(__name__)

ME_PATH = "/v2.1/me"
MAX_ATTEMPTS = 4
RETRY_STATUSES = frozenset({500, 502, 503, 504})
BACKOFF_BASE = 0.5  # seconds; doubles each attempt, with jitter
BACKOFF_CAP = 8.0
_DETAIL_LIMIT = 200


# --- Errors ---------------------------------------------------------------------------


class CleverError(Exception):
    """Something went wrong talking to Clever. `user_message` is safe to show a teacher."""

    user_message = _("We could not reach Clever. Please try again in a few minutes.")

    def __init__(self, detail: str = "", *, status: int | None = None):
        self.detail = detail[:_DETAIL_LIMIT]
        self.status = status
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return a one-line description for logs, SyncRun.error and support staff."""
        status = f"HTTP {self.status}" if self.status else ""
        text = " ".join(part for part in (status, self.detail) if part)
        return f"{type(self).__name__}: {text}" if text else type(self).__name__


class CleverUnavailable(CleverError):
    """Clever answered 5xx, timed out or could not be reached, after our retries."""

    user_message = _("Clever is not responding right now. Please try again in a few minutes.")


class CleverRateLimited(CleverError):
    """Clever's rate limit held for longer than we are willing to wait."""

    user_message = _("Clever is busy right now. Please try again in a minute.")

    def __init__(self, detail: str = "", *, status: int | None = 429, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(detail, status=status)


class CleverUnauthorized(CleverError):
    """The token was refused (expired, revoked, or the district disconnected)."""

    user_message = _("Your Clever sign-in has expired. Please log in with Clever again.")


class CleverNotFound(CleverError):
    """Clever does not share this record with us (unshared, deleted or out of the token's scope)."""

    user_message = _("Clever no longer shares this information with us.")


class CleverBadRequest(CleverError):
    """Clever refused the request itself (400, 413, 501 and other client errors)."""

    user_message = _("Clever refused our request. Our team has been told; please try again later.")


class CleverBadResponse(CleverError):
    """Clever's reply could not be read: HTML, malformed JSON, or a required field missing."""

    user_message = _("Clever sent a reply we could not read. Please try again in a few minutes.")


class CleverOAuthError(CleverError):
    """The token endpoint refused the exchange (`invalid_grant`, `invalid_client`, ...)."""

    user_message = _("The sign-in with Clever could not be completed. Please try again.")

    def __init__(self, detail: str = "", *, status: int | None = None, error: str = ""):
        self.error = error
        super().__init__(f"{error} {detail}".strip(), status=status)


# --- Typed objects ----------------------------------------------------------------------


@dataclass(frozen=True)
class Me:
    id: str
    type: str
    district_id: str  # "" for Clever Library users
    authorized_by: str  # "" when Clever does not say (v2.0)

    @property
    def sharing(self) -> str:
        """Return "district" or "library": `authorized_by` when given, else whether a district is present."""
        if self.authorized_by:
            return "district" if self.authorized_by == "district" else "library"
        return "district" if self.district_id else "library"


@dataclass(frozen=True)
class Teacher:
    id: str
    district_id: str
    school_id: str
    school_ids: tuple[str, ...]
    first_name: str
    middle_name: str
    last_name: str
    email: str
    title: str


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    subject: str
    grade: str
    period: str
    section_number: str
    school_id: str
    district_id: str
    teacher_id: str  # the primary teacher, "" when Clever names none
    teacher_ids: tuple[str, ...]
    student_ids: tuple[str, ...]


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    middle_name: str
    last_name: str
    grade: str


@dataclass(frozen=True)
class School:
    id: str
    name: str
    district_id: str


@dataclass(frozen=True)
class District:
    id: str
    name: str


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    token_type: str

    def __repr__(self):  # never print the token
        return f"TokenResponse(token_type={self.token_type!r}, access_token=<hidden>)"


@dataclass(frozen=True)
class DistrictTokenInfo:
    district_id: str
    access_token: str

    def __repr__(self):
        return f"DistrictTokenInfo(district_id={self.district_id!r}, access_token=<hidden>)"


# --- Parsing ----------------------------------------------------------------------------


def _text(obj: dict, key: str) -> str:
    """Return obj[key] as a string; None, absent and non-strings other than numbers read as ""."""
    value = obj.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _required_id(obj: object, what: str) -> str:
    if not isinstance(obj, dict):
        raise CleverBadResponse(f"{what} is not an object")
    value = obj.get("id")
    if not isinstance(value, str) or not value:
        raise CleverBadResponse(f"{what} has no id")
    return value


def _ids(obj: dict, key: str) -> tuple[str, ...]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise CleverBadResponse(f"{key} is not a list")
    return tuple(item for item in value if isinstance(item, str) and item)


def _name(obj: dict) -> tuple[str, str, str]:
    name = obj.get("name")
    if not isinstance(name, dict):
        return "", "", ""
    return _text(name, "first"), _text(name, "middle"), _text(name, "last")


def parse_me(body: dict) -> Me:
    data = body.get("data")
    me_id = _required_id(data, "/me")
    return Me(
        id=me_id,
        type=_text(data, "type") or _text(body, "type"),
        district_id=_text(data, "district"),
        authorized_by=_text(data, "authorized_by"),
    )


def parse_teacher(data: dict) -> Teacher:
    teacher_id = _required_id(data, "teacher")
    first, middle, last = _name(data)
    return Teacher(
        id=teacher_id,
        district_id=_text(data, "district"),
        school_id=_text(data, "school"),
        school_ids=_ids(data, "schools"),
        first_name=first,
        middle_name=middle,
        last_name=last,
        email=_text(data, "email"),
        title=_text(data, "title"),
    )


def parse_section(data: dict) -> Section:
    section_id = _required_id(data, "section")
    return Section(
        id=section_id,
        name=_text(data, "name"),
        subject=_text(data, "subject"),
        grade=_text(data, "grade"),
        period=_text(data, "period"),
        section_number=_text(data, "section_number"),
        school_id=_text(data, "school"),
        district_id=_text(data, "district"),
        teacher_id=_text(data, "teacher"),
        teacher_ids=_ids(data, "teachers"),
        student_ids=_ids(data, "students"),
    )


def parse_student(data: dict) -> Student:
    student_id = _required_id(data, "student")
    first, middle, last = _name(data)
    return Student(id=student_id, first_name=first, middle_name=middle, last_name=last, grade=_text(data, "grade"))


def parse_school(data: dict) -> School:
    return School(id=_required_id(data, "school"), name=_text(data, "name"), district_id=_text(data, "district"))


def parse_district(data: dict) -> District:
    return District(id=_required_id(data, "district"), name=_text(data, "name"))


def _single(body: object) -> dict:
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise CleverBadResponse("the reply has no data object")
    return body["data"]


def _items(body: object) -> list[dict]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise CleverBadResponse("the reply has no data list")
    items = []
    for element in body["data"]:
        # List elements are {"data": {...}, "uri": "..."}; tolerate bare objects too.
        if isinstance(element, dict) and isinstance(element.get("data"), dict):
            items.append(element["data"])
        else:
            items.append(element)
    return items


def _link(body: dict, rel: str) -> str:
    links = body.get("links")
    if not isinstance(links, list):
        return ""
    for link in links:
        if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("uri"), str):
            return link["uri"]
    return ""


# --- HTTP -------------------------------------------------------------------------------


def _error_detail(response: requests.Response) -> str:
    """Return Clever's own words for an error, from `error`, `message` or `error_description`."""
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type or response.text[:1] in ("{", "["):
        try:
            body = response.json()
        except ValueError:
            return "unreadable error body"
        if isinstance(body, dict):
            words = [_text(body, key) for key in ("error", "error_description", "message")]
            return " - ".join(dict.fromkeys(word for word in words if word))
        return ""
    if "html" in content_type or response.text.lstrip()[:1] == "<":
        return "an HTML page instead of JSON"
    return ""


def _raise_for_status(response: requests.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _error_detail(response)
    if status == 401:
        raise CleverUnauthorized(detail, status=status)
    if status == 404:
        raise CleverNotFound(detail, status=status)
    if status == 429:
        raise CleverRateLimited(detail, status=status)
    if status >= 500 and status != 501:
        raise CleverUnavailable(detail, status=status)
    raise CleverBadRequest(detail, status=status)


def _json(response: requests.Response) -> object:
    _raise_for_status(response)
    try:
        return response.json()
    except ValueError:
        if response.text.lstrip()[:1] == "<":
            raise CleverBadResponse("an HTML page instead of JSON", status=response.status_code) from None
        raise CleverBadResponse("malformed JSON", status=response.status_code) from None


def _rate_limit_wait(response: requests.Response, *, now: float) -> float | None:
    """Return how long Clever asks us to wait, from Retry-After or X-RateLimit-Reset.

    A value that cannot be read (``Retry-After: soon``) counts as absent, not as an error.
    """
    retry_after = response.headers.get("Retry-After", "").strip()
    if retry_after:
        seconds = _finite(retry_after)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            parsed = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)  # HTTP dates are in GMT
            return max(0.0, parsed.timestamp() - now)
    reset = _finite(response.headers.get("X-RateLimit-Reset", ""))  # requests' headers ignore case
    return None if reset is None else max(0.0, reset - now)


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _Http:
    """A requests.Session with our timeout, retry policy and call counter."""

    def __init__(
        self,
        *,
        timeout: float | None,
        max_wait: float | None,
        sleep: Callable[[float], None],
        throttle: Throttle | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.timeout = settings.CLEVER_HTTP_TIMEOUT if timeout is None else timeout
        self.max_wait = settings.CLEVER_RETRY_MAX_WAIT if max_wait is None else max_wait
        self.sleep = sleep
        self.clock = clock  # for Retry-After dates and X-RateLimit-Reset
        self.throttle = throttle
        self._calls = itertools.count()
        self._calls_lock = threading.Lock()
        self.calls = 0

    def _count(self):
        with self._calls_lock:
            self.calls = next(self._calls) + 1

    def request(self, method: str, url: str, *, retry: bool = True, **kwargs) -> requests.Response:
        path = urlsplit(url).path
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS or not retry
            if self.throttle is not None:
                # Every attempt counts against Clever's per-token limit, retries included.
                self.throttle.acquire()
            self._count()
            started = time.monotonic()
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                # ChunkedEncodingError: the connection ended before the body Clever announced.
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
                wait = _rate_limit_wait(response, now=self.clock())
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

    def close(self):
        self.session.close()


class CleverClient:
    """Read Clever's API v2.0/v2.1 with one bearer token.

    `paginate` is for district-app tokens: they page with `limit` and follow
    `links` rel `next`. User (SSO) tokens cannot page, so they send no paging
    parameters and read one response per list. A `throttle` (rosters.throttle) is
    asked before every request, so many clients can share one token's rate limit.
    `sleep` waits out back-offs and rate limits; `clock` is the time Clever's
    Retry-After dates and X-RateLimit-Reset are read against.
    """

    def __init__(
        self,
        *,
        token: str,
        paginate: bool = False,
        page_size: int | None = None,
        api_base: str | None = None,
        timeout: float | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        throttle: Throttle | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._token = token
        self.paginate = paginate
        self.page_size = page_size or settings.CLEVER_PAGE_SIZE
        self.api_base = (api_base or settings.CLEVER_API_BASE).rstrip("/")
        self._http = _Http(timeout=timeout, max_wait=max_wait, sleep=sleep, throttle=throttle, clock=clock)

    def __repr__(self):
        return f"CleverClient(api_base={self.api_base!r}, paginate={self.paginate})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._http.close()

    @property
    def calls(self) -> int:
        """Return how many HTTP requests this client has made, retries included."""
        return self._http.calls

    # Endpoints

    def me(self) -> Me:
        return parse_me(self._get_object(ME_PATH, whole=True))

    def teacher(self, teacher_id: str) -> Teacher:
        return parse_teacher(self._get_object(f"/v2.0/teachers/{teacher_id}"))

    def teacher_sections(self, teacher_id: str) -> list[Section]:
        return [parse_section(item) for item in self._list(f"/v2.0/teachers/{teacher_id}/sections")]

    def section_students(self, section_id: str) -> list[Student]:
        return [parse_student(item) for item in self._list(f"/v2.0/sections/{section_id}/students")]

    def school(self, school_id: str) -> School:
        return parse_school(self._get_object(f"/v2.0/schools/{school_id}"))

    def district(self, district_id: str) -> District:
        return parse_district(self._get_object(f"/v2.0/districts/{district_id}"))

    # Plumbing

    def _url(self, path_or_uri: str) -> str:
        url = urljoin(self.api_base + "/", path_or_uri.lstrip("/"))
        # Never send our bearer token anywhere but Clever's API host.
        if urlsplit(url).netloc != urlsplit(self.api_base).netloc:
            raise CleverBadResponse("a link points away from Clever's API host")
        return url

    def _get(self, path_or_uri: str, params: dict | None = None) -> object:
        response = self._http.request(
            "GET",
            self._url(path_or_uri),
            params=params,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
        )
        return _json(response)

    def _get_object(self, path: str, *, whole: bool = False) -> dict:
        body = self._get(path)
        data = _single(body)
        return body if whole else data

    def _list(self, path: str) -> Iterator[dict]:
        if not self.paginate:
            yield from _items(self._get(path))
            return
        uri, params, seen = path, {"limit": self.page_size}, set()
        while True:
            body = self._get(uri, params)
            items = _items(body)
            if not items:
                return
            yield from items
            next_uri = _link(body, "next")
            if not next_uri:
                return
            if next_uri in seen:
                raise CleverBadResponse("pagination went round in a circle")
            seen.add(next_uri)
            # Clever's links are paths relative to the API base; the API prefix is already in them.
            uri, params = self._strip_base_path(next_uri), None

    def _strip_base_path(self, uri: str) -> str:
        base_path = urlsplit(self.api_base).path.rstrip("/")
        if uri.startswith("/") and base_path and uri.startswith(base_path + "/"):
            return uri[len(base_path) :]
        return uri


# --- OAuth --------------------------------------------------------------------------------


def _oauth_http(timeout: float | None) -> _Http:
    return _Http(timeout=timeout, max_wait=None, sleep=time.sleep)


def exchange_code(
    *,
    code: str,
    redirect_uri: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    oauth_base: str | None = None,
    timeout: float | None = None,
) -> TokenResponse:
    """Exchange an authorization code for a user token. Never retried: a code is single-use."""
    base = (oauth_base or settings.CLEVER_OAUTH_BASE).rstrip("/")
    http = _oauth_http(timeout)
    try:
        response = http.request(
            "POST",
            f"{base}/oauth/tokens",
            retry=False,
            auth=(client_id or settings.CLEVER_CLIENT_ID, client_secret or settings.CLEVER_CLIENT_SECRET),
            data={"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri},
            headers={"Accept": "application/json"},
        )
    finally:
        http.close()
    if response.status_code in (400, 401, 403):
        error = ""
        try:
            body = response.json()
            error = _text(body, "error") if isinstance(body, dict) else ""
        except ValueError:
            pass
        raise CleverOAuthError(_error_detail(response), status=response.status_code, error=error)
    body = _json(response)
    if not isinstance(body, dict) or not _text(body, "access_token"):
        raise CleverBadResponse("the token reply has no access_token")
    return TokenResponse(access_token=body["access_token"], token_type=_text(body, "token_type") or "bearer")


def list_district_tokens(
    *,
    district_id: str = "",
    client_id: str | None = None,
    client_secret: str | None = None,
    oauth_base: str | None = None,
    timeout: float | None = None,
) -> list[DistrictTokenInfo]:
    """Return the district-app tokens Clever holds for this app (optionally for one district)."""
    base = (oauth_base or settings.CLEVER_OAUTH_BASE).rstrip("/")
    params = {"owner_type": "district"}
    if district_id:
        params["district"] = district_id
    http = _oauth_http(timeout)
    try:
        response = http.request(
            "GET",
            f"{base}/oauth/tokens",
            params=params,
            auth=(client_id or settings.CLEVER_CLIENT_ID, client_secret or settings.CLEVER_CLIENT_SECRET),
            headers={"Accept": "application/json"},
        )
    finally:
        http.close()
    tokens = []
    for item in _items(_json(response)):
        owner = item.get("owner") if isinstance(item, dict) else None
        if not isinstance(owner, dict) or owner.get("type") != "district":
            continue
        access_token = _text(item, "access_token")
        if access_token and _text(owner, "id"):
            tokens.append(DistrictTokenInfo(district_id=_text(owner, "id"), access_token=access_token))
    return tokens
