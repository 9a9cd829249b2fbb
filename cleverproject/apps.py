"""App configs that rename or re-house third-party apps for this product (see INSTALLED_APPS)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin, with the product's site (cleverproject.admin.SiteAdmin)."""

    default_site = "cleverproject.admin.SiteAdmin"


class BackgroundTasksConfig(TasksAppConfig):
    """django-tasks-db, named for what it holds rather than "Tasks Database Backend" (its label stays)."""

    verbose_name = _("Background tasks (technical)")
