"""Serve the whole site (and so the sandbox) in a background thread, for tests and benchmarks."""

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread


def site_serve_in_thread() -> tuple[str, LiveServerThread]:
    """Start the site on 127.0.0.1 on a free port; return its root URL and the thread (call .terminate())."""
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return f"http://127.0.0.1:{thread.port}", thread
