"""
Serve the sandbox on its own (``manage.py clever_sandbox``), whatever CLEVER_SANDBOX says.

The site's URLconf mounts the sandbox only when CLEVER_SANDBOX is on, so the standalone
server routes every request through this module's own URLconf instead, at the same
/sandbox/clever/ paths.
"""

from django.core.handlers.wsgi import WSGIHandler
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/sandbox/clever/")),
    path("sandbox/clever/", include("sandbox.urls")),
]


class SandboxHandler(WSGIHandler):
    """A WSGI handler that resolves with this module's URLconf."""

    def get_response(self, request):
        request.urlconf = __name__
        return super().get_response(request)
