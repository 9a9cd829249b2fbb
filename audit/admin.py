from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only for everyone: no add, change or delete, superusers included."""

    list_display = ("at", "action", "actor", "target_type", "target_id", "ip", "detail")
    list_filter = ("action", "at")
    search_fields = ("actor", "target_id", "detail")
    date_hierarchy = "at"
    fields = readonly_fields = ("at", "action", "actor", "actor_user", "target_type", "target_id", "ip", "detail")
    raw_id_fields = ("actor_user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
