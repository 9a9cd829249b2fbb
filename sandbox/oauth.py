"""
OAuth 2.0 as clever.com serves it: the sign-in page, the portal launch, and the token endpoint.

The sign-in page plays Clever's own page (not ours), so its forms are CSRF-exempt. Choosing
someone is a POST of ``user_id`` back to the authorize URL; the answer is a 302 to
``redirect_uri?code=...&state=...``. A "Cancel" (``action=cancel``) redirects with
``error=access_denied``. An unknown client, a wrong response_type or an unregistered
redirect URI gets an error page and never a redirect.

Like Clever, the sandbox remembers who signed in (a signed cookie, for the browser session):
the sign-in page then sends that person straight back with a code, which is what makes a
Portal launch bounced back by the app one click. ``/signout`` forgets them.
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import conf, tokens
from .directory import directory
from .responses import basic_credentials, bearer_token, instrumented, json_response, oauth_error
from .roster import USER_TYPES
from .state import CodeError, get_sandbox

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "district_id",
    "scope",
    "channel",
    "confirmed",
)
DISTRICT_SCOPES = [
    "read:district_admins",
    "read:districts",
    "read:resources",
    "read:school_admins",
    "read:schools",
    "read:sections",
    "read:student_contacts",
    "read:students",
    "read:teachers",
    "read:user_id",
]
USER_SCOPES = ["read:user_id", "read:sis"]


SESSION_COOKIE = "clever_sandbox_session"
_SESSION_SALT = "sandbox.oauth.session"


class _BadRequest(Exception):
    """The authorize request itself is wrong: show an error page, never redirect."""


# --- Authorize ------------------------------------------------------------------------------


@csrf_exempt
@instrumented
def authorize(request: HttpRequest) -> HttpResponse:
    """GET: the sign-in page listing the sandbox's users. POST: sign one in (or cancel)."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    sandbox = get_sandbox()
    params = request.GET.dict()
    if request.method == "POST":
        params.update({key: request.POST[key] for key in AUTHORIZE_PARAMS if key in request.POST})
    try:
        redirect_uri = _check_authorize(request, params)
    except _BadRequest as exc:
        return _error_page(request, str(exc))
    district_id = params.get("district_id", "")
    state = params.get("state")
    if request.method == "POST" and request.POST.get("action") == "cancel":
        return HttpResponseRedirect(_with_query(redirect_uri, error="access_denied", state=state))
    error = ""
    if request.method == "POST":
        user_id = request.POST.get("user_id", "").strip().lower()
        error = _cannot_sign_in(sandbox, user_id, district_id)
    else:
        user_id = signed_in_user(request)  # already signed in at Clever: straight back
        if user_id and _cannot_sign_in(sandbox, user_id, district_id):
            user_id = ""
    if user_id and not error:
        code = sandbox.issue_code(user_id, redirect_uri=redirect_uri, client_id=params["client_id"])
        return _remember(request, HttpResponseRedirect(_with_query(redirect_uri, code=code, state=state)), user_id)
    context = {
        "blocks": directory(sandbox, district_id=district_id),
        "hidden": [(key, params[key]) for key in AUTHORIZE_PARAMS if key in params],
        "redirect_host": urlsplit(redirect_uri).netloc,
        "error": error,
        "cancel": True,
        "heading": _("Log in with Clever"),
    }
    return render(request, "sandbox/authorize.html", context, status=400 if error else 200)


def _check_authorize(request: HttpRequest, params: dict) -> str:
    client_id, _secret = conf.client_credentials()
    if params.get("client_id") != client_id:
        raise _BadRequest(_("Unknown client_id: no app with this client id is registered with this Clever sandbox."))
    if params.get("response_type") != "code":
        raise _BadRequest(_("Unsupported response_type: only response_type=code is supported."))
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise _BadRequest(_("Missing redirect_uri."))
    if not conf.is_registered_redirect_uri(
        redirect_uri, request_host=request.get_host(), registered=get_sandbox().redirect_uris()
    ):
        raise _BadRequest(_("The redirect_uri %(uri)s is not registered for this app.") % {"uri": redirect_uri})
    district_id = params.get("district_id", "")
    if district_id and get_sandbox().roster.get("districts", district_id) is None:
        raise _BadRequest(_("Unknown district_id %(id)s.") % {"id": district_id})
    return redirect_uri


def _cannot_sign_in(sandbox, user_id: str, district_id: str) -> str:
    """Return why this user cannot sign in here, or ""."""
    found = sandbox.roster.find(user_id) if user_id else None
    if found is None or found[0] not in USER_TYPES:
        return _("No teacher, student or admin has the Clever id %(id)s.") % {"id": user_id or "-"}
    if district_id and found[1].get("district") != district_id:
        return _("That user is not in this district.")
    return ""


def signed_in_user(request: HttpRequest) -> str:
    """Return the Clever id of whoever signed in at the sandbox in this browser, or ""."""
    return request.get_signed_cookie(SESSION_COOKIE, default="", salt=_SESSION_SALT)


def _remember(request: HttpRequest, response: HttpResponse, user_id: str) -> HttpResponse:
    response.set_signed_cookie(
        SESSION_COOKIE, user_id, salt=_SESSION_SALT, httponly=True, samesite="Lax", path=_cookie_path(request)
    )
    return response


def _cookie_path(request: HttpRequest) -> str:
    return reverse("sandbox:index")


def signout(request: HttpRequest) -> HttpResponse:
    """Sign out of the sandbox's Clever, so its sign-in page asks who signs in again."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("sandbox:index")
    response = HttpResponseRedirect(next_url)
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(request))
    return response


def _error_page(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "sandbox/error.html", {"message": message}, status=400)


def _with_query(uri: str, **params: str | None) -> str:
    """Return `uri` with the given query parameters added (those that are None left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- Portal ---------------------------------------------------------------------------------


@csrf_exempt
def portal(request: HttpRequest) -> HttpResponse:
    """Launch the app as the Clever Portal and Library "Install" do: a code, and no state."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    sandbox = get_sandbox()
    district_id = request.GET.get("district_id", request.POST.get("district_id", ""))
    if district_id and sandbox.roster.get("districts", district_id) is None:
        return _error_page(request, _("Unknown district_id %(id)s.") % {"id": district_id})
    redirect_uri = conf.primary_redirect_uri(
        scheme=request.scheme, request_host=request.get_host(), registered=sandbox.redirect_uris()
    )
    error = ""
    if request.method == "POST":
        user_id = request.POST.get("user_id", "").strip().lower()
        error = _cannot_sign_in(sandbox, user_id, district_id)
        if not error:
            code = sandbox.issue_code(user_id, redirect_uri=redirect_uri)
            return _remember(request, HttpResponseRedirect(_with_query(redirect_uri, code=code)), user_id)
    context = {
        "blocks": directory(sandbox, district_id=district_id),
        "hidden": [("district_id", district_id)] if district_id else [],
        "redirect_host": urlsplit(redirect_uri).netloc,
        "error": error,
        "cancel": False,
        "heading": _("Clever Portal"),
    }
    return render(request, "sandbox/authorize.html", context, status=400 if error else 200)


# --- Tokens ---------------------------------------------------------------------------------


@csrf_exempt
@instrumented
def tokens_endpoint(request: HttpRequest) -> HttpResponse:
    """POST: exchange a code for a user token. GET ?owner_type=district: list district-app tokens."""
    if request.method not in ("GET", "POST"):
        return oauth_error(405, "invalid_request", "Use POST to exchange a code, or GET to list tokens")
    if not _client_authenticated(request):
        return oauth_error(
            401, "invalid_client", "Client authentication failed: use HTTP Basic with your app's id and secret"
        )
    if request.method == "GET":
        return _list_tokens(request)
    return _exchange(request)


def _client_authenticated(request: HttpRequest) -> bool:
    credentials = basic_credentials(request)
    if credentials is None:
        return False
    client_id, secret = conf.client_credentials()
    return hmac.compare_digest(credentials[0], client_id) & hmac.compare_digest(credentials[1], secret)


def _exchange(request: HttpRequest) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        return oauth_error(400, "invalid_request", "Multipart bodies are not accepted: send a form or JSON body")
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return oauth_error(400, "invalid_request", "The JSON body could not be parsed")
        if not isinstance(body, dict):
            return oauth_error(400, "invalid_request", "The JSON body must be an object")
        body = {key: value for key, value in body.items() if isinstance(value, str)}
    elif content_type in ("application/x-www-form-urlencoded", ""):
        body = request.POST.dict()
    else:
        return oauth_error(400, "invalid_request", f"Unsupported content type {content_type}")
    grant_type = body.get("grant_type", "")
    if not grant_type:
        return oauth_error(400, "invalid_request", "grant_type is required (authorization_code)")
    if grant_type != "authorization_code":
        return oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type}")
    code, redirect_uri = body.get("code", ""), body.get("redirect_uri", "")
    if not code:
        return oauth_error(400, "invalid_request", "code is required")
    if not redirect_uri:
        return oauth_error(400, "invalid_request", "redirect_uri is required")
    try:
        user_id = get_sandbox().redeem_code(code, client_id=conf.client_credentials()[0], redirect_uri=redirect_uri)
    except CodeError as exc:
        return oauth_error(400, "invalid_grant", str(exc))
    token = tokens.user_token(user_id)
    return json_response({"access_token": token, "token_type": "bearer"}, headers={"Cache-Control": "no-store"})


def _list_tokens(request: HttpRequest) -> HttpResponse:
    owner_type = request.GET.get("owner_type", "")
    if owner_type != "district":
        return oauth_error(400, "invalid_request", "owner_type=district is required")
    wanted = request.GET.get("district", "")
    sandbox = get_sandbox()
    with sandbox.lock:
        roster = sandbox.roster
        data = [
            {
                "id": tokens.token_record_id(district_id),
                "created": roster.get("districts", district_id).get("launch_date") or "2024-08-01T12:00:00.000Z",
                "owner": {"type": "district", "id": district_id},
                "access_token": tokens.district_token(district_id),
                "scopes": DISTRICT_SCOPES,
            }
            for district_id in roster.ids("districts")
            if not wanted or district_id == wanted
        ]
    query = urlencode({key: request.GET[key] for key in ("owner_type", "district") if key in request.GET})
    return json_response({"data": data, "links": [{"rel": "self", "uri": f"/oauth/tokens?{query}"}]})


@csrf_exempt
@instrumented
def tokeninfo(request: HttpRequest) -> HttpResponse:
    """GET /oauth/tokeninfo with a bearer token: the client and scopes it was issued for."""
    identity = get_sandbox().identify(bearer_token(request))
    if identity is None:
        return oauth_error(401, "invalid_token", "The bearer token is missing, unknown or revoked")
    scopes = DISTRICT_SCOPES if identity.is_district else USER_SCOPES
    return json_response({"client_id": conf.client_credentials()[0], "scopes": scopes})
