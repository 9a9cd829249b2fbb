"""The site's URLs; the contract is in DESIGN.md and docs/architecture.md."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

from . import views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("classes/", include("rosters.urls")),
    path("onboarding/", include("onboarding.urls")),
    path("privacy/", include("privacy.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon, name="favicon"),
]

if settings.CLEVER_SANDBOX:
    urlpatterns.append(path("sandbox/clever/", include("sandbox.urls")))
