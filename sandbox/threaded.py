"""Serve the whole site (and so the sandbox) in a background thread, for tests and benchmarks."""

import socket

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from .wire import QuietFaultRequestHandler


class NoDelayMixin:
    """Send each reply at once (TCP_NODELAY) on every connection the server accepts.

    Django's WSGI server writes a reply's headers and body in separate sends. With Nagle's
    algorithm on, the body waits for the client to acknowledge the headers, and clients
    delay that acknowledgement by about 40 ms: every request to the sandbox took ~45 ms
    instead of ~3 ms, which slowed the tests and skewed every benchmark that talks to it.
    """

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class NoDelayThreadedWSGIServer(NoDelayMixin, ThreadedWSGIServer):
    pass


class _SiteThread(LiveServerThread):
    """Django's live server thread, replying at once, with the handler that carries out the sandbox's wire faults."""

    server_class = NoDelayThreadedWSGIServer

    def _create_server(self, connections_override=None):
        return self.server_class(
            (self.host, self.port),
            QuietFaultRequestHandler,
            allow_reuse_address=False,
            connections_override=connections_override,
        )


def site_serve_in_thread() -> tuple[str, LiveServerThread]:
    """Start the site on 127.0.0.1 on a free port; return its root URL and the thread (call .terminate())."""
    thread = _SiteThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return f"http://127.0.0.1:{thread.port}", thread
