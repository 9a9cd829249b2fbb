"""
HTTP control of the sandbox, for demos and for a sandbox running in another process.

    POST   /_control/reset      back to the configured roster, no faults, default options
    GET    /_control/roster     the roster being served (roster format)
    PUT    /_control/roster     serve another roster (body: roster JSON); 400 names the problem
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


def _problem(status: int, message: str) -> HttpResponse:
    return json_response({"error": message}, status=status)


def _json_body(request: HttpRequest):
    try:
        return json.loads(request.body or b"null")
    except ValueError as exc:
        raise _BadBody(f"the body is not valid JSON: {exc}") from None


class _BadBody(Exception):
    pass


def _allowed(*methods: str):
    def decorate(view):
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return HttpResponse(status=405, headers={"Allow": ", ".join(methods)})
            try:
                return view(request, *args, **kwargs)
            except _BadBody as exc:
                return _problem(400, str(exc))

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
        sandbox.load(_json_body(request), source="the roster sent")
    except RosterError as exc:
        return _problem(400, str(exc))
    with sandbox.lock:
        counts = {kind: sandbox.roster.count(kind) for kind in sandbox.roster.records}
    return json_response({"loaded": counts})


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
