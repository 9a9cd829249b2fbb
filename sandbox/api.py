"""
The data and identity API (mirrors https://api.clever.com/v2.0 and /v2.1).

District-app tokens read everything in their district and page through lists, and read
their district's Events API feed (`sandbox.events_api`).
User (SSO) tokens read only their own data (see `_user_may_read`) and cannot page.
Every answer to a known token carries Clever's rate-limit headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import events_api
from .pagination import PagingError, has_paging_params, paginate
from .responses import api_error, bearer_token, instrumented, json_response, rate_headers, rate_limited
from .roster import KINDS, USER_TYPES, Roster, is_library
from .serialize import render
from .state import Identity, Sandbox, get_sandbox

SCOPE_MESSAGE = "Resource not in token's scopes"
NOT_FOUND_MESSAGE = "Resource not found"

# Sub-resources: name -> (kind of the result, "list" or "one").
SUBRESOURCES = {
    "districts": {},
    "schools": {
        "teachers": ("teachers", "list"),
        "sections": ("sections", "list"),
        "students": ("students", "list"),
        "district": ("districts", "one"),
    },
    "teachers": {
        "sections": ("sections", "list"),
        "students": ("students", "list"),
        "schools": ("schools", "list"),
        "school": ("schools", "one"),
        "district": ("districts", "one"),
    },
    "students": {
        "sections": ("sections", "list"),
        "teachers": ("teachers", "list"),
        "schools": ("schools", "list"),
        "school": ("schools", "one"),
        "district": ("districts", "one"),
    },
    "sections": {
        "students": ("students", "list"),
        "teachers": ("teachers", "list"),
        "teacher": ("teachers", "one"),
        "school": ("schools", "one"),
        "district": ("districts", "one"),
    },
    "school_admins": {"schools": ("schools", "list"), "district": ("districts", "one")},
    "district_admins": {"district": ("districts", "one")},
}

# What a user token may read about its owner, by user kind; None is the record itself.
OWN_RECORD_SUBRESOURCES = {
    "teachers": {None, "sections", "students", "schools", "school", "district"},
    "students": {None, "schools", "school", "district"},
    "school_admins": {None, "schools", "district"},
    "district_admins": {None, "district"},
}
LIBRARY_OWN_RECORD_SUBRESOURCES = {"teachers": {None, "sections", "students"}, "students": {None}}
OWN_SECTION_SUBRESOURCES = {None, "students", "teachers", "teacher", "school", "district"}
LIBRARY_SECTION_SUBRESOURCES = {None, "students", "teachers", "teacher"}


@dataclass(frozen=True)
class _Route:
    kind: str
    record_id: str | None = None
    sub: str | None = None


class _Refusal(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@csrf_exempt
@instrumented
def api(request: HttpRequest, version: str, rest: str = "") -> HttpResponse:
    """Answer GET /v2.0/... and /v2.1/... like api.clever.com."""
    sandbox = get_sandbox()
    if request.method not in ("GET", "HEAD"):
        return api_error(405, f"Method {request.method} not allowed")
    token = bearer_token(request)
    if not token:
        return api_error(401, "Unauthorized: no bearer token", error="unauthorized")
    identity = sandbox.identify(token)
    if identity is None:
        return api_error(401, "Unauthorized: invalid or revoked token", error="unauthorized")
    window = sandbox.hit_rate_limit(token)
    if not window.allowed:
        return rate_limited(limit=window.limit, reset=window.reset)
    response = _answer(request, sandbox, identity, version, rest)
    rate_headers(response, limit=window.limit, remaining=window.remaining, reset=window.reset)
    return response


@csrf_exempt
@instrumented
def unknown_path(request: HttpRequest) -> HttpResponse:
    """Answer a path the sandbox does not serve."""
    return api_error(404, NOT_FOUND_MESSAGE, error="not_found")


def _answer(request, sandbox: Sandbox, identity: Identity, version: str, rest: str) -> HttpResponse:
    segments = [segment for segment in rest.split("/") if segment]
    if segments[:1] == ["events"]:
        if not identity.is_district:  # the Events API is for district-app tokens only
            status = sandbox.options.scope_error_status
            return api_error(status, SCOPE_MESSAGE, error="not_found" if status == 404 else "")
        return events_api.answer(request, sandbox, identity.id, version, segments[1:])
    if not identity.is_district and has_paging_params(request.GET):
        return api_error(400, "SSO tokens cannot paginate: leave out limit, starting_after and ending_before")
    if segments == ["me"]:
        with sandbox.lock:
            body = _me(sandbox, identity, version)
        if body is None:  # the user was removed while this request was on its way
            return api_error(401, "Unauthorized: invalid or revoked token", error="unauthorized")
        return json_response(body)
    route = _route(segments)
    if route is None:
        return api_error(404, NOT_FOUND_MESSAGE, error="not_found")
    path = "/".join(["", version, *segments])
    try:
        with sandbox.lock:  # one consistent view of the roster while a page is built
            body = _read(request, sandbox, identity, version, route, path)
    except PagingError as exc:
        return api_error(exc.status, str(exc))
    except _Refusal as exc:
        return api_error(exc.status, str(exc), error="not_found" if exc.status == 404 else "")
    return json_response(body)


def _route(segments: list[str]) -> _Route | None:
    if not segments or segments[0] not in KINDS or len(segments) > 3:
        return None
    route = _Route(*segments)
    if route.sub is not None and route.sub not in SUBRESOURCES[route.kind]:
        return None
    return route


def _me(sandbox: Sandbox, identity: Identity, version: str) -> dict | None:
    if identity.is_district:
        data = {"id": identity.id, "type": "district"}
        canonical = f"/{version}/districts/{identity.id}"
        links = [{"rel": "self", "uri": "/me"}, {"rel": "canonical", "uri": canonical}]
        return {"type": "district", "data": data, "links": links}
    record = sandbox.roster.get(identity.user_kind, identity.id)
    if record is None:
        return None
    user_type = USER_TYPES[identity.user_kind]
    data = {"id": identity.id, "type": user_type}
    district = record.get("district")
    if district:
        data["district"] = district
    options = sandbox.options
    if version == "v2.1" and options.authorized_by:
        authorized_by = "district" if district else options.library_authorized_by
        if authorized_by is not None:
            data["authorized_by"] = authorized_by
    links = [
        {"rel": "self", "uri": "/me"},
        {"rel": "canonical", "uri": f"/{version}/{identity.user_kind}/{identity.id}"},
    ]
    if district:
        links.append({"rel": "district", "uri": f"/{version}/districts/{district}"})
    return {"type": user_type, "data": data, "links": links}


def _read(request, sandbox: Sandbox, identity: Identity, version: str, route: _Route, path: str) -> dict:
    roster = sandbox.roster
    scope_status = sandbox.options.scope_error_status
    if identity.is_district:
        if route.record_id is not None and not _in_district(roster, route.kind, route.record_id, identity.id):
            raise _Refusal(404, NOT_FOUND_MESSAGE)
    elif not _user_may_read(roster, identity, route):
        raise _Refusal(scope_status, SCOPE_MESSAGE)

    if route.record_id is None:
        kind = route.kind
        ids = [identity.id] if kind == "districts" else roster.in_district(kind, identity.id)
        return _list_body(request, sandbox, identity, version, kind, ids, path)
    record = roster.get(route.kind, route.record_id)
    if route.sub is None:
        return _one_body(version, route.kind, record)
    kind, shape = SUBRESOURCES[route.kind][route.sub]
    related = _related(roster, route, record)
    if shape == "one":
        if not related:
            raise _Refusal(404, NOT_FOUND_MESSAGE)
        return _one_body(version, kind, roster.get(kind, related))
    return _list_body(request, sandbox, identity, version, kind, related, path)


def _one_body(version: str, kind: str, record: dict) -> dict:
    links = [{"rel": "self", "uri": f"/{version}/{kind}/{record['id']}"}]
    return {"data": render(kind, record, version), "links": links}


def _list_body(request, sandbox: Sandbox, identity: Identity, version: str, kind: str, ids: list, path: str) -> dict:
    if identity.is_district:
        page = paginate(ids, path=path, query_string=request.META.get("QUERY_STRING", ""), options=sandbox.options)
        ids, links = page.ids, page.links
    else:
        query = request.META.get("QUERY_STRING", "")
        links = [{"rel": "self", "uri": f"{path}?{query}" if query else path}]
    roster = sandbox.roster
    data = [
        {"data": render(kind, roster.get(kind, record_id), version), "uri": f"/{version}/{kind}/{record_id}"}
        for record_id in ids
    ]
    return {"data": data, "links": links}


def _related(roster: Roster, route: _Route, record: dict) -> list[str] | str | None:
    """Return the ids (or the one id) a sub-resource names, ascending."""
    kind, sub, record_id = route.kind, route.sub, route.record_id
    if sub in ("school", "district", "teacher"):
        return record.get(sub)
    if kind == "schools":
        return roster.in_school(sub, record_id)
    if sub == "schools":
        return roster.schools_of(record)
    if kind == "sections":
        return sorted(record[sub])
    if sub == "sections":
        return roster.sections_of(kind, record_id)
    if sub == "students":
        return roster.students_of_teacher(record_id)
    return roster.teachers_of_student(record_id)


def _in_district(roster: Roster, kind: str, record_id: str, district_id: str) -> bool:
    record = roster.get(kind, record_id)
    if record is None:
        return False
    return record_id == district_id if kind == "districts" else record.get("district") == district_id


def _user_may_read(roster: Roster, identity: Identity, route: _Route) -> bool:
    """Return whether a user token may read a path: its own record, sections, schools and district."""
    if route.record_id is None:
        return False
    me = roster.get(identity.user_kind, identity.id)
    if me is None:
        return False
    library = identity.user_kind in ("teachers", "students") and is_library(me)
    if route.kind == identity.user_kind and route.record_id == identity.id:
        allowed = (LIBRARY_OWN_RECORD_SUBRESOURCES if library else OWN_RECORD_SUBRESOURCES)[identity.user_kind]
        return route.sub in allowed
    if route.kind == "sections" and identity.user_kind == "teachers":
        allowed = LIBRARY_SECTION_SUBRESOURCES if library else OWN_SECTION_SUBRESOURCES
        return route.record_id in roster.sections_of("teachers", identity.id) and route.sub in allowed
    if library or route.sub is not None:
        return False
    if route.kind == "schools":
        return route.record_id in roster.schools_of(me)
    return route.kind == "districts" and route.record_id == me.get("district")
