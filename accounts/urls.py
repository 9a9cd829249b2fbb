"""The product's own account pages (allauth's live under /accounts/)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("delete/", views.account_delete, name="delete"),
]
