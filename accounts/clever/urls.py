from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns
from django.urls import path

from . import views
from .provider import CleverProvider

urlpatterns = [
    *default_urlpatterns(CleverProvider),
    path("clever/welcome/", views.welcome, name="clever_welcome"),
    path("clever/welcome/link/", views.link, name="clever_link"),
    path("clever/welcome/create/", views.create, name="clever_create"),
]
