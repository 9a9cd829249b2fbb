"""
`CleverClient`: Clever's data API (v2.0, and /v2.1/me) with one bearer token.

It knows Clever's endpoints and how lists page, and returns the typed records of
`records`; the HTTP layer below (`http`) owns timeouts, retries and rate limits. It
knows nothing of the database: the sync engines turn what it returns into rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from .errors import CleverBadResponse
from .http import Http, Throttle, json_body
from .records import (
    District,
    Event,
    Me,
    School,
    Section,
    Student,
    Teacher,
    body_items,
    body_link,
    body_object,
    parse_district,
    parse_event,
    parse_me,
    parse_school,
    parse_section,
    parse_student,
    parse_teacher,
)

ME_PATH = "/v2.1/me"


class CleverClient:
    """Read Clever's API v2.0/v2.1 with one bearer token.

    `paginate` is for district-app tokens: they page with `limit` and follow
    `links` rel `next`. User (SSO) tokens cannot page, so they send no paging
    parameters and read one response per list. A `throttle` is asked before every
    request, so many clients can share one token's rate limit. One client may be
    used from several threads at once (a sync fetches sections in parallel).
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
        clock: Callable[[], float] = time.time,
        throttle: Throttle | None = None,
    ):
        self._token = token
        self.paginate = paginate
        self.page_size = page_size or settings.CLEVER_PAGE_SIZE
        self.api_base = (api_base or settings.CLEVER_API_BASE).rstrip("/")
        self._http = Http(timeout=timeout, max_wait=max_wait, sleep=sleep, clock=clock, throttle=throttle)

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

    def student(self, student_id: str) -> Student:
        return parse_student(self._get_object(f"/v2.0/students/{student_id}"))

    # A district-app token's whole district, record by record as the pages arrive (each
    # page's JSON is dropped once read, so memory holds the parsed records, not the pages).

    def schools(self) -> Iterator[School]:
        return map(parse_school, self._list("/v2.0/schools"))

    def teachers(self) -> Iterator[Teacher]:
        return map(parse_teacher, self._list("/v2.0/teachers"))

    def sections(self) -> Iterator[Section]:
        return map(parse_section, self._list("/v2.0/sections"))

    def students(self) -> Iterator[Student]:
        return map(parse_student, self._list("/v2.0/students"))

    def events(self, *, starting_after: str = "") -> Iterator[Event]:
        """Yield the district's events oldest first, after the event `starting_after` ("": from the first kept)."""
        params = {"starting_after": starting_after} if starting_after else None
        return map(parse_event, self._list("/v2.0/events", params))

    def event_ids(self, *, starting_after: str = "") -> Iterator[str]:
        """Yield only the ids of the district's events after `starting_after`: where the feed stands."""
        params = {"starting_after": starting_after} if starting_after else None
        for item in self._list("/v2.0/events", params):
            event_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(event_id, str) or not event_id:
                raise CleverBadResponse("an event has no id")
            yield event_id

    def event(self, event_id: str) -> Event:
        """Return one event; raise CleverNotFound when Clever no longer has it."""
        return parse_event(self._get_object(f"/v2.0/events/{event_id}"))

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
        return json_body(response)

    def _get_object(self, path: str, *, whole: bool = False) -> dict:
        body = self._get(path)
        data = body_object(body)
        return body if whole else data

    def _list(self, path: str, params: dict | None = None) -> Iterator[dict]:
        if not self.paginate:
            yield from body_items(self._get(path, params))
            return
        uri, params, seen = path, {"limit": self.page_size, **(params or {})}, set()
        while True:
            body = self._get(uri, params)
            items = body_items(body)
            if not items:
                return
            yield from items
            next_uri = body_link(body, "next")
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
