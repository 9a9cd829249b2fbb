from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "plan", "is_staff")
    list_filter = ("plan", *BaseUserAdmin.list_filter)
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Plan"), {"fields": ("plan", "trial_ends_at")}))
