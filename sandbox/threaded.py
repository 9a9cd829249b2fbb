"""Serve the whole site (and so the sandbox) in a background thread, for tests and benchmarks."""

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

from .wire import QuietFaultRequestHandler


class _SiteThread(LiveServerThread):
    """Django's live server thread, with the handler that carries out the sandbox's wire faults."""

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
