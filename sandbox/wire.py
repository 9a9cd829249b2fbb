"""
The sandbox's HTTP server handler: Django's development server, plus the faults below HTTP.

A WSGI application cannot reset a connection or stop half-way through a body it declared, so
the sandbox's own servers (the test and benchmark thread in `sandbox.threaded`, and
``manage.py clever_sandbox``) use `FaultRequestHandler`, which does what the "reset" and
"cut_off" faults ask for:

- an answer marked by `reset_response()` is never written: the connection is aborted with a
  TCP reset (RST), as a crashed proxy or an overloaded load balancer does;
- an answer whose body is shorter than its ``Content-Length`` is written as it is, then the
  connection is closed, so the client sees the body end early instead of waiting for the rest.

Under another server (``runserver``, gunicorn) a "reset" fault answers 502 with an empty body,
and under ``runserver``, which keeps the connection open, a "cut_off" body waits for the
client's timeout.
"""

from __future__ import annotations

import contextlib
import socket
import struct

from django.core.servers.basehttp import ServerHandler, WSGIRequestHandler
from django.http import HttpResponse


def reset_response() -> HttpResponse:
    """Return the answer standing for a reset connection (what other servers send instead: a 502)."""
    response = HttpResponse(b"", status=502, content_type="text/plain")
    response.sandbox_reset = True
    response["X-Sandbox-Fault"] = "reset (serve the sandbox with manage.py clever_sandbox to get a real reset)"
    return response


class _FaultServerHandler(ServerHandler):
    def finish_response(self):
        if getattr(self.result, "sandbox_reset", False):
            self.request_handler.reset_connection = True
            self.request_handler.close_connection = True
            self.close()  # nothing is written: no status line, no headers
            return
        super().finish_response()

    def finish_content(self):
        super().finish_content()
        declared = self.headers.get("Content-Length") if self.headers else None
        if declared is not None and declared.isdigit() and self.bytes_sent < int(declared):
            # The body was cut short on purpose: end the connection, as a server dying mid-reply does.
            self.request_handler.close_connection = True


class FaultRequestHandler(WSGIRequestHandler):
    """Django's development request handler, able to reset a connection or close it mid-body."""

    reset_connection = False

    def handle(self):
        # Django's WSGIRequestHandler.handle, with the reset at the end.
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()
        if self.reset_connection:
            # Linger 0: closing sends RST, and the client reads "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        with contextlib.suppress(AttributeError, OSError):
            self.connection.shutdown(socket.SHUT_WR)

    def handle_one_request(self):
        # Django's WSGIRequestHandler.handle_one_request, with our ServerHandler.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _FaultServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ())
        handler.request_handler = self
        handler.run(self.server.get_app())


class QuietFaultRequestHandler(FaultRequestHandler):
    """The same, logging no request (for tests, as Django's live server does)."""

    def log_message(self, *args):
        pass
