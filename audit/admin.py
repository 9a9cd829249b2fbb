from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class ActorKindFilter(admin.SimpleListFilter):
    """Who acted: a signed-in person, a manage.py command, or the product itself (sign-in, syncs)."""

    title = _("who")
    parameter_name = "actor_kind"
    KINDS = {"user": _("A signed-in person"), "command": _("A command"), "system": _("The product itself")}

    def lookups(self, request, model_admin):
        return list(self.KINDS.items())

    def queryset(self, request, queryset):
        if self.value() in self.KINDS:
            return queryset.filter(actor__startswith=f"{self.value()}:")
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only for everyone: no add, change or delete, superusers included.

    Search finds an actor ("user:42", "command:purge_data"), a target id or words of the detail.
    """

    list_display = ("at", "action", "actor", "target_type", "target_id", "ip", "detail")
    list_filter = ("action", ActorKindFilter, "at")
    search_fields = ("actor", "target_id", "detail")
    search_help_text = _("An actor such as user:42 or command:purge_data, a target id, or words of the detail.")
    date_hierarchy = "at"
    fields = readonly_fields = ("at", "action", "actor", "actor_user", "target_type", "target_id", "ip", "detail")
    raw_id_fields = ("actor_user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
