from django.urls import path

from . import views

app_name = "rosters"
urlpatterns = [
    path("", views.classes, name="classes"),
    path("sync/", views.sync_now, name="sync"),
    path("<int:section_pk>/", views.section_detail, name="section"),
]
