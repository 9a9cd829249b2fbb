"""
Responses shaped like Clever's, and the request plumbing every sandbox endpoint shares.

`instrumented` wraps the OAuth and API views: it records the call (never a token or
code) and answers with an injected fault when one matches (see `sandbox.faults`). The
faults below the HTTP level (a reset connection, a body cut short) need the sandbox's own
server, `sandbox.wire`, to carry them out.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import json
import time
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .faults import REWRITE_KINDS, Fault
from .state import Call, Identity, get_sandbox
from .wire import reset_response

JSON = "application/json; charset=utf-8"
SECRET_PARAMS = frozenset({"code", "access_token", "token", "client_secret", "refresh_token", "id_token"})


def json_response(body: object, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """Return JSON the way an API server sends it (UTF-8, no ASCII escaping)."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(content.encode(), status=status, content_type=JSON, headers=headers)


def api_error(status: int, message: str, *, error: str = "") -> HttpResponse:
    """Return an API error body with `error` and/or `message`, per the `error_keys` option."""
    keys = get_sandbox().options.error_keys
    body = {}
    if keys in ("both", "error"):
        body["error"] = error or message
    if keys in ("both", "message"):
        body["message"] = message
    return json_response(body, status=status)


def oauth_error(status: int, error: str, description: str) -> HttpResponse:
    """Return an OAuth error body, as clever.com/oauth/* sends: {"error", "error_description"}."""
    headers = {"Cache-Control": "no-store"}
    if error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="Clever"'
    return json_response({"error": error, "error_description": description}, status=status, headers=headers)


def rate_limited(*, limit: int, reset: int) -> HttpResponse:
    """Return Clever's 429: an empty body and the rate-limit headers (Retry-After only if asked)."""
    response = HttpResponse(b"", status=429, content_type="text/plain")
    rate_headers(response, limit=limit, remaining=0, reset=reset)
    sandbox = get_sandbox()
    if sandbox.options.retry_after:
        response["Retry-After"] = str(max(0, reset - int(sandbox.clock())))
    return response


def rate_headers(response: HttpResponse, *, limit: int, remaining: int, reset: int) -> None:
    response["X-RateLimit-Limit"] = str(limit)
    response["X-RateLimit-Remaining"] = str(remaining)
    response["X-RateLimit-Reset"] = str(reset)
    response["X-RateLimit-Bucket"] = "bearer"


def bearer_token(request: HttpRequest) -> str:
    """Return the bearer token of the Authorization header, or ""."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """Return (client_id, secret) from HTTP Basic auth, or None when absent or unreadable."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def sandbox_path(request: HttpRequest) -> str:
    """Return the request path relative to the sandbox base: /v2.0/teachers/<id>."""
    base = reverse("sandbox:index")
    path = request.path
    return "/" + path[len(base) :] if path.startswith(base) else path


def token_kind(request: HttpRequest, identity: Identity | None = None) -> str:
    """Return what kind of credentials a request carries, for the call log."""
    token = bearer_token(request)
    if token:
        identity = identity or get_sandbox().identify(token)
        return identity.kind if identity else "invalid"
    return "client" if basic_credentials(request) else "none"


def instrumented(view):
    """Record each call and apply injected faults before the view answers."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        sandbox = get_sandbox()
        path = sandbox_path(request)
        call = sandbox.record_call(
            Call(method=request.method, path=path, query=_loggable_query(request), token_kind="", at=sandbox.clock())
        )
        token = bearer_token(request)
        identity = sandbox.identify(token) if token else None
        call.token_kind = token_kind(request, identity)
        fault = sandbox.take_fault(request.method, path, owner=identity.id if identity else "")
        response = _answer(fault, request, lambda: view(request, *args, **kwargs))
        call.status = None if getattr(response, "sandbox_reset", False) else response.status_code
        return response

    return wrapper


def _answer(fault: Fault | None, request: HttpRequest, view) -> HttpResponse:
    """Return the view's answer, or what the fault makes of the request (and of the answer)."""
    if fault is None:
        return view()
    if fault.kind == "slow":
        time.sleep(fault.delay)  # then answer normally: the client's timeout decides
        response = view()
    elif fault.kind == "hang":
        # Until the fault is cleared: a client's timeout fires first, whatever its length.
        if not fault.hold():
            return json_response({"message": "The sandbox was reset while this request was held"}, status=503)
        response = view()
    elif fault.kind in REWRITE_KINDS:
        response = rewritten(fault, view(), request)
    else:
        response = fault_response(fault)
    for name, value in fault.headers.items():
        response[name] = value
    return response


def _loggable_query(request: HttpRequest) -> str:
    """Return the query string without anything secret a careless client might have put there."""
    pairs = [(key, value) for key, value in request.GET.items() if key.lower() not in SECRET_PARAMS]
    return urlencode(pairs)


def fault_response(fault: Fault) -> HttpResponse:
    """Return the answer an injected fault stands for, when it does not need the real answer."""
    if fault.kind == "429":
        sandbox = get_sandbox()
        now = sandbox.clock()
        response = HttpResponse(b"", status=429, content_type="text/plain")
        rate_headers(response, limit=sandbox.options.rate_limit, remaining=0, reset=int(now) + fault.reset_in)
        retry_after = sandbox.options.retry_after if fault.retry_after is None else fault.retry_after
        if retry_after == "http-date":
            response["Retry-After"] = email.utils.formatdate(now + fault.reset_in, usegmt=True)
        elif retry_after:
            response["Retry-After"] = str(fault.reset_in)
        return response
    if fault.kind == "reset":
        return reset_response()
    if fault.kind == "data_null":
        return json_response({"data": None}, status=fault.status)
    if fault.kind == "malformed_json":
        return HttpResponse(b'{"data": [{"data": {"id": "', status=fault.status, content_type=JSON)
    if fault.kind == "html":
        page = (
            "<!DOCTYPE html><html><head><title>Clever | Error</title></head>"
            "<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>"
        )
        return HttpResponse(page.encode(), status=fault.status, content_type="text/html; charset=utf-8")
    status = int(fault.kind)
    messages = {
        400: "Bad request",
        401: "Unauthorized: invalid or expired token",
        403: "Forbidden",
        404: "Resource not found",
        413: "Request entity too large",
        500: "Internal server error",
        501: "Not implemented",
        502: "Bad gateway",
        503: "Service unavailable",
        504: "Gateway timeout",
    }
    return api_error(status, messages[status])


def rewritten(fault: Fault, response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """Return the view's real answer as a "cut_off", "no_id" or "next_loop" fault changes it."""
    if fault.kind == "cut_off":
        body = response.content
        # Declare the whole body, send half: the client sees the connection end mid-reply.
        response["Content-Length"] = str(len(body))
        response.content = body[: len(body) // 2]
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response  # not JSON (an error page): nothing to rewrite
    if not isinstance(body, dict):
        return response
    if fault.kind == "no_id":
        _drop_first_id(body)
    else:  # next_loop: the page's next link points back to the page itself
        links = [link for link in body.get("links") or [] if link.get("rel") != "next"]
        itself = next((link["uri"] for link in links if link.get("rel") == "self"), request.get_full_path())
        body["links"] = [*links, {"rel": "next", "uri": itself}]
    return json_response(body, status=response.status_code, headers=_kept_headers(response))


def _drop_first_id(body: dict) -> None:
    data = body.get("data")
    if isinstance(data, list) and data:
        data = data[0].get("data") if isinstance(data[0], dict) else None
    if isinstance(data, dict):
        data.pop("id", None)


def _kept_headers(response: HttpResponse) -> dict:
    return {name: value for name, value in response.items() if name.lower() not in ("content-type", "content-length")}
