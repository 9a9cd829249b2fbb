"""
HTTP control of the sandbox, for demos and for a sandbox running in another process.

    POST   /_control/reset      back to the configured roster, no faults, default options
    GET    /_control/roster     the roster being served (roster format)
    PUT    /_control/roster     serve another roster (body: roster JSON, up to 256 MB); 400 names the
                                problem; what changed is recorded as events
    POST   /_control/reload     serve the configured roster file again, recording what changed as events
    POST   /_control/mutate     {"changes": 100, "seed": 1}: random changes (sandbox.generate.roster_mutate)
    GET    /_control/events     each district's Events API feed: size, first and last ids
    POST   /_control/events/forget  forget events: {"through": "<event id>"} or {"older_than":
                                "2024-09-02T08:00:00Z"} or {} (all), optionally {"district": "<id>"}
    GET    /_control/faults     the faults, with how often each has matched and fired
    POST   /_control/faults     add a fault: {"path": "/v2.0/sections/*/students", "kind": 503,
                                "times": 1, "skip": 2} (or a list of them); see sandbox.faults.Fault
                                for the kinds and fields ("owner", "headers", "retry_after", ...)
    DELETE /_control/faults     clear them (requests a "hang" fault holds are answered)
    GET    /_control/options    the options;  POST a JSON object to change some
    GET    /_control/calls      the recorded calls; DELETE to clear them

Everything answers JSON. The sandbox is development-only (a system check refuses it in
production), so these endpoints need no credentials.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .faults import FaultError
from .options import OptionError
from .responses import json_response
from .roster import RosterError
from .state import get_sandbox

FAULT_FIELDS = (
    "path",
    "kind",
    "times",
    "skip",
    "delay",
    "reset_in",
    "retry_after",
    "status",
    "id",
    "method",
    "owner",
    "headers",
)
# A 30,000-student district is about 14 MB of JSON, far above Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# (2.5 MB, right for the product's forms), so PUT /_control/roster has its own limit.
ROSTER_MAX_BYTES = 256 * 1024 * 1024


def _problem(status: int, message: str) -> HttpResponse:
    return json_response({"error": message}, status=status)


def _json_body(request: HttpRequest, *, max_bytes: int | None = None):
    """Return the parsed JSON body; `max_bytes` replaces Django's upload limit for this request."""
    try:
        if max_bytes is None:
            raw = request.body
        else:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_bytes:
                raise _BadBody(f"the body is {length} bytes; at most {max_bytes} are accepted", status=413)
            raw = request.read()  # not request.body, which applies DATA_UPLOAD_MAX_MEMORY_SIZE
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise _BadBody(f"the body is not valid JSON: {exc}") from None


class _BadBody(Exception):
    def __init__(self, message: str, *, status: int = 400):
        self.status = status
        super().__init__(message)


def _allowed(*methods: str):
    def decorate(view):
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return HttpResponse(status=405, headers={"Allow": ", ".join(methods)})
            try:
                return view(request, *args, **kwargs)
            except _BadBody as exc:
                return _problem(exc.status, str(exc))

        wrapper.__doc__ = view.__doc__
        wrapper.__name__ = view.__name__
        return csrf_exempt(wrapper)

    return decorate


@_allowed("POST")
def reset(request: HttpRequest) -> HttpResponse:
    """Reset the sandbox."""
    try:
        get_sandbox().reset()
    except RosterError as exc:
        return _problem(500, str(exc))
    return json_response({"reset": True})


@_allowed("GET", "PUT")
def roster(request: HttpRequest) -> HttpResponse:
    """Return the roster being served, or load another."""
    sandbox = get_sandbox()
    if request.method == "GET":
        with sandbox.lock:
            return json_response(sandbox.roster.to_dict())
    try:
        events = sandbox.load(_json_body(request, max_bytes=ROSTER_MAX_BYTES), source="the roster sent")
    except RosterError as exc:
        return _problem(400, str(exc))
    with sandbox.lock:
        counts = {kind: sandbox.roster.count(kind) for kind in sandbox.roster.records}
    return json_response({"loaded": counts, "events": len(events)})


@_allowed("POST")
def reload(request: HttpRequest) -> HttpResponse:
    """Serve the configured roster file again, recording what changed as events."""
    try:
        events = get_sandbox().reload()
    except RosterError as exc:
        return _problem(400, str(exc))
    return json_response({"events": len(events)})


@_allowed("POST")
def mutate(request: HttpRequest) -> HttpResponse:
    """Apply random changes to the roster: {"changes": 100, "seed": 1}."""
    body = _json_body(request)
    if not isinstance(body, dict) or set(body) - {"changes", "seed"}:
        return _problem(400, 'send {"changes": <count>, "seed": <number>}')
    changes, seed = body.get("changes", 1), body.get("seed", 0)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (changes, seed)) or changes < 0:
        return _problem(400, "changes (at least 0) and seed are whole numbers")
    try:
        events = get_sandbox().mutate(changes=changes, seed=seed)
    except (RosterError, ValueError) as exc:
        return _problem(400, str(exc))
    return json_response({"events": len(events)})


@_allowed("GET")
def events(request: HttpRequest) -> HttpResponse:
    """Show each district's Events API feed."""
    sandbox = get_sandbox()
    with sandbox.lock:
        return json_response({"events": sandbox.events.summary()})


@_allowed("POST")
def forget_events(request: HttpRequest) -> HttpResponse:
    """Forget events, as Clever does after 30 days: {"through": id} or {"older_than": timestamp} or {}."""
    body = _json_body(request) or {}
    if not isinstance(body, dict) or set(body) - {"through", "older_than", "district"}:
        return _problem(400, 'send {"through": "<event id>"} or {"older_than": "<timestamp>"} (and "district")')
    if any(not isinstance(body.get(key, ""), str) for key in body):
        return _problem(400, "through, older_than and district are strings")
    try:
        forgotten = get_sandbox().forget_events(
            through=body.get("through", ""), older_than=body.get("older_than"), district_id=body.get("district", "")
        )
    except ValueError as exc:
        return _problem(400, str(exc))
    return json_response({"forgotten": forgotten})


@_allowed("GET", "POST", "DELETE")
def faults(request: HttpRequest) -> HttpResponse:
    """List, add or clear injected faults."""
    sandbox = get_sandbox()
    if request.method == "DELETE":
        sandbox.clear_faults()
    elif request.method == "POST":
        body = _json_body(request)
        items = body if isinstance(body, list) else [body]
        for item in items:
            if not isinstance(item, dict) or "path" not in item or "kind" not in item:
                return _problem(400, "a fault is an object with at least path and kind")
            unknown = set(item) - set(FAULT_FIELDS)
            if unknown:
                return _problem(400, f"unknown fault fields: {', '.join(sorted(unknown))}")
        try:
            added = [sandbox.add_fault(**item) for item in items]
        except (FaultError, TypeError) as exc:
            return _problem(400, str(exc))
        return json_response({"added": [fault.describe() for fault in added]}, status=201)
    return json_response({"faults": [fault.describe() for fault in sandbox.faults]})


@_allowed("GET", "POST")
def options(request: HttpRequest) -> HttpResponse:
    """Show or change the sandbox's options."""
    sandbox = get_sandbox()
    if request.method == "POST":
        body = _json_body(request)
        if not isinstance(body, dict):
            return _problem(400, "send a JSON object of options")
        try:
            sandbox.set_options(**body)
        except OptionError as exc:
            return _problem(400, str(exc))
    return json_response({"options": sandbox.options.as_dict()})


@_allowed("GET", "DELETE")
def calls(request: HttpRequest) -> HttpResponse:
    """List or clear the recorded calls."""
    sandbox = get_sandbox()
    if request.method == "DELETE":
        sandbox.clear_calls()
    return json_response({"calls": [asdict(call) for call in sandbox.calls]})
