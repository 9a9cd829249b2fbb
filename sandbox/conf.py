"""
What the sandbox reads from settings: the one app it knows, and its redirect URIs.

Settings are read on every call, never at import, so `override_settings` and the
test fixtures take effect at once.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

# The product's Clever callback (allauth's provider is built elsewhere, so no reverse()).
CALLBACK_PATH = "/accounts/clever/login/callback/"
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's public demo credentials
DEMO_DATA = Path(__file__).resolve().parent / "data" / "demo.json"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1", "testserver")


def client_credentials() -> tuple[str, str]:
    """Return the registered app's client id and secret (the sandbox's own when none are set)."""
    client_id = getattr(settings, "CLEVER_CLIENT_ID", "") or SANDBOX_CLIENT_ID
    secret = getattr(settings, "CLEVER_CLIENT_SECRET", "") or SANDBOX_CLIENT_SECRET
    return client_id, secret


def data_path() -> Path:
    """Return the roster file to serve: CLEVER_SANDBOX_DATA, else the bundled demo data."""
    configured = getattr(settings, "CLEVER_SANDBOX_DATA", "")
    return Path(configured) if configured else DEMO_DATA


def configured_redirect_uris() -> list[str]:
    """Return CLEVER_SANDBOX_REDIRECT_URIS (empty: derive from the request, see below)."""
    return [uri for uri in getattr(settings, "CLEVER_SANDBOX_REDIRECT_URIS", []) if uri]


def is_registered_redirect_uri(uri: str, *, request_host: str, registered: list[str]) -> bool:
    """Return whether `uri` is one of the app's redirect URIs.

    With URIs configured, only those match (exactly, as Clever compares them). With
    none, any http(s) URL of the product's callback path on a local host, the host this
    request came in on, or an ALLOWED_HOSTS host is registered.
    """
    if registered:
        return uri in registered
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path != CALLBACK_PATH or parts.fragment:
        return False
    host = (parts.hostname or "").lower()
    if not host:
        return False
    if parts.netloc.rsplit("@", 1)[-1].startswith("["):
        host = f"[{host}]"
    request_name, _port = split_domain_port(request_host)
    return host in LOCAL_HOSTS or host == request_name or validate_host(host, settings.ALLOWED_HOSTS)


def primary_redirect_uri(*, scheme: str, request_host: str, registered: list[str]) -> str:
    """Return the app's first redirect URI, where Portal and Library launches land."""
    if registered:
        return registered[0]
    return f"{scheme}://{request_host}{CALLBACK_PATH}"
