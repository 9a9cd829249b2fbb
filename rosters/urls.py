from django.urls import path

from . import views

app_name = "rosters"
urlpatterns = [
    path("", views.classes, name="classes"),
]
