"""The sandbox's own index page (what it is, who can sign in, which faults are set) and its stylesheet."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from . import conf
from .directory import directory
from .state import get_sandbox


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Explain the sandbox and list its districts, users, faults and options."""
    sandbox = get_sandbox()
    base = request.build_absolute_uri(reverse("sandbox:index")).rstrip("/")
    with sandbox.lock:
        roster = sandbox.roster
        districts = [roster.get("districts", i) for i in roster.ids("districts")]
        counts = {kind: roster.count(kind) for kind in roster.records}
    context = {
        "base": base,
        "client_id": conf.client_credentials()[0],
        "redirect_uris": sandbox.redirect_uris(),
        "primary_redirect_uri": conf.primary_redirect_uri(
            scheme=request.scheme, request_host=request.get_host(), registered=sandbox.redirect_uris()
        ),
        "callback_path": conf.CALLBACK_PATH,
        "data_path": sandbox.data_path,
        "districts": districts,
        "counts": counts,
        "blocks": directory(sandbox),
        "faults": [fault.describe() for fault in sandbox.faults],
        "options": sandbox.options.as_dict(),
    }
    return render(request, "sandbox/index.html", context)


@require_GET
@cache_control(max_age=3600)
def stylesheet(request: HttpRequest) -> HttpResponse:
    """Serve the sandbox pages' CSS from the app itself: a sandbox run alone has no collected static files,
    and the Content-Security-Policy allows no inline styles."""
    return render(request, "sandbox/sandbox.css", content_type="text/css; charset=utf-8")
