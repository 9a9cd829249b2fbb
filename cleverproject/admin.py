"""The admin site staff work in, named after the product (`SITE_NAME`) rather than after Django.

Installed through `cleverproject.apps.AdminConfig` (Django's documented way to replace the
default site), so every app's `@admin.register` lands here.
"""

from django.conf import settings
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class SiteAdmin(admin.AdminSite):
    # At 1280 px the navigation sidebar takes the width a list's columns need (the users list's
    # plan and trial end went off-screen); breadcrumbs and Home lead back to every screen.
    enable_nav_sidebar = False

    def __init__(self, name="admin"):
        super().__init__(name)
        self.site_header = format_lazy(_("{site} admin"), site=settings.SITE_NAME)
        self.site_title = self.site_header
        self.index_title = format_lazy(_("{site} administration"), site=settings.SITE_NAME)
