"""The sandbox's URLs, mounted at /sandbox/clever/: clever.com's OAuth and api.clever.com's API."""

from django.urls import path, re_path

from . import api, control, oauth, views

app_name = "sandbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("sandbox.css", views.stylesheet, name="stylesheet"),
    path("portal", oauth.portal, name="portal"),
    path("signout", oauth.signout, name="signout"),
    path("oauth/authorize", oauth.authorize, name="authorize"),
    path("oauth/tokens", oauth.tokens_endpoint, name="tokens"),
    path("oauth/tokeninfo", oauth.tokeninfo, name="tokeninfo"),
    path("me", api.api, {"version": "v2.0", "rest": "me"}, name="me"),
    re_path(r"^(?P<version>v2\.[01])/(?P<rest>.*)$", api.api, name="api"),
    path("_control/reset", control.reset, name="control-reset"),
    path("_control/roster", control.roster, name="control-roster"),
    path("_control/faults", control.faults, name="control-faults"),
    path("_control/options", control.options, name="control-options"),
    path("_control/calls", control.calls, name="control-calls"),
    path("_control/reload", control.reload, name="control-reload"),
    path("_control/mutate", control.mutate, name="control-mutate"),
    path("_control/events", control.events, name="control-events"),
    path("_control/events/forget", control.forget_events, name="control-events-forget"),
    # Anything else answers like api.clever.com does for an unknown path: a JSON 404.
    re_path(r"^.*$", api.unknown_path, name="unknown"),
]
