"""Fixtures shared by the whole suite.

`clever_sandbox` serves the whole site (and so the sandbox at /sandbox/clever/) on a
free port in a background thread, points CLEVER_OAUTH_BASE and CLEVER_API_BASE at
it, and resets the sandbox to its demo data. The real client then talks real HTTP
to it. The sandbox keeps its state in memory and never touches the database, so
tests using it can still run inside a rolled-back transaction.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from sandbox.threaded import site_serve_in_thread


@dataclass
class SandboxHandle:
    url: str  # the sandbox's base, e.g. http://127.0.0.1:40123/sandbox/clever
    server_url: str  # the site's root on that server
    state: object  # sandbox.state.Sandbox


@pytest.fixture(scope="session")
def sandbox_server():
    """Serve the site on 127.0.0.1 on a free port for the whole session."""
    url, thread = site_serve_in_thread()
    yield url
    thread.terminate()


@contextmanager
def product_pointed_at_sandbox(settings, server_url: str):
    """Point CLEVER_* at the sandbox served at `server_url`, reset it, and reset it again afterwards."""
    from sandbox.state import get_sandbox

    base = f"{server_url}/sandbox/clever"
    settings.CLEVER_OAUTH_BASE = base
    settings.CLEVER_API_BASE = base
    settings.CLEVER_SANDBOX_URL = base
    state = get_sandbox()
    state.reset()
    cache.clear()  # merge-attempt limits live in the cache
    try:
        yield SandboxHandle(url=base, server_url=server_url, state=state)
    finally:
        state.reset()
        cache.clear()


@pytest.fixture
def clever_sandbox(sandbox_server, settings):
    """Point the product at the sandbox, freshly reset to its demo data."""
    # As LiveServerTestCase does: tests run with DEBUG off, so the server's host must be allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    with product_pointed_at_sandbox(settings, sandbox_server) as handle:
        yield handle
