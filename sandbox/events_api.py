"""
Clever's Events API in the sandbox: GET /v2.0/events and /v2.0/events/{id} (and /v2.1/...).

`sandbox.api` hands over a district-app token's requests (user tokens are refused there, as
for any path outside their scope). A district reads its own feed only. Lists page like the
sandbox's other lists (`sandbox.pagination`), and `record_type` (repeated) and `school`
narrow them. What Clever leaves open (events off, a cursor the feed no longer has, where
`previous_attributes` sits) follows the sandbox's options: docs/sandbox-events.md.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, HttpResponse

from .diff import previous_attributes
from .events import CLEVER_RECORD_TYPES, Event, Feed
from .options import Options
from .pagination import PagingError, paginate
from .responses import api_error, json_response
from .roster import timestamp_at
from .serialize import render
from .state import Sandbox

EVENTS_OFF_MESSAGE = "Events are not enabled for this application"
EVENT_NOT_FOUND_MESSAGE = "Event not found"
CURSORS = ("starting_after", "ending_before")


def answer(request: HttpRequest, sandbox: Sandbox, district_id: str, version: str, rest: list[str]) -> HttpResponse:
    """Answer /events (rest == []) or /events/{id} (rest == [id]) for a district's token."""
    if len(rest) > 1:
        return api_error(404, EVENT_NOT_FOUND_MESSAGE, error="not_found")
    options = sandbox.options
    if not options.events_enabled or district_id in options.events_disabled_districts:
        return _events_off(request, version, rest, options)
    with sandbox.lock:  # one consistent view of the feed while a page is built
        feed = sandbox.events_feed(district_id)
        if rest:
            return _one(feed, rest[0], version, options)
        return _page(request, feed, version, options)


def event_body(event: Event, version: str, options: Options) -> dict:
    """Return an event as Clever serves it: id, type, created, data.object (and previous_attributes)."""
    record = render(event.kind, event.record, version)
    body = {"created": timestamp_at(event.at), "data": {"object": record}, "id": event.id, "type": event.type}
    if event.previous is not None:
        changed = previous_attributes(render(event.kind, event.previous, version), record)
        where = body["data"] if options.events_previous_attributes == "data" else body
        where["previous_attributes"] = changed
    return body


def _one(feed: Feed, event_id: str, version: str, options: Options) -> HttpResponse:
    event = feed.events.get(event_id)
    if event is None:
        return api_error(404, EVENT_NOT_FOUND_MESSAGE, error="not_found")
    links = [{"rel": "self", "uri": f"/{version}/events/{event_id}"}]
    return json_response({"data": event_body(event, version, options), "links": links})


def _page(request: HttpRequest, feed: Feed, version: str, options: Options) -> HttpResponse:
    path = f"/{version}/events"
    record_types = request.GET.getlist("record_type")
    unknown = [value for value in record_types if value not in CLEVER_RECORD_TYPES]
    if unknown:
        return api_error(400, f"record_type {unknown[0]!r} is not one of {', '.join(CLEVER_RECORD_TYPES)}")
    school = request.GET.get("school", "")
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    for key in CURSORS:
        cursor = request.GET.get(key)
        if not cursor or cursor in feed.events:
            continue
        if options.events_unknown_cursor == "empty":
            return json_response({"data": [], "links": [_self_link(path, pairs)]})
        if options.events_unknown_cursor == "first":
            pairs = [(name, value) for name, value in pairs if name != key]
            continue
        message = f"{key}: this district's feed has no event {cursor} (events are kept for a limited time)"
        return api_error(int(options.events_unknown_cursor), message)
    ids = feed.ids
    if record_types or school:
        wanted = set(record_types)
        ids = [
            event_id
            for event_id in ids
            if (not wanted or feed.events[event_id].record_type in wanted)
            and (not school or school in feed.events[event_id].schools)
        ]
    try:
        page = paginate(ids, path=path, query_string=urlencode(pairs), options=options)
    except PagingError as exc:
        return api_error(exc.status, str(exc))
    data = [
        {"data": event_body(feed.events[event_id], version, options), "uri": f"/{version}/events/{event_id}"}
        for event_id in page.ids
    ]
    return json_response({"data": data, "links": page.links})


def _events_off(request: HttpRequest, version: str, rest: list[str], options: Options) -> HttpResponse:
    if options.events_disabled_answer != "empty":
        return api_error(int(options.events_disabled_answer), EVENTS_OFF_MESSAGE)
    if rest:
        return api_error(404, EVENT_NOT_FOUND_MESSAGE, error="not_found")
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    return json_response({"data": [], "links": [_self_link(f"/{version}/events", pairs)]})


def _self_link(path: str, pairs: list[tuple[str, str]]) -> dict:
    return {"rel": "self", "uri": f"{path}?{urlencode(pairs)}" if pairs else path}
