from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns
from django.urls import path

from . import welcome
from .provider import CleverProvider

urlpatterns = [
    *default_urlpatterns(CleverProvider),
    path("clever/welcome/", welcome.welcome, name="clever_welcome"),
    path("clever/welcome/link/", welcome.link, name="clever_link"),
    path("clever/welcome/create/", welcome.create, name="clever_create"),
    path("clever/welcome/cancel/", welcome.cancel, name="clever_cancel"),
]
