"""Sync runs and background syncs in the admin: what happened, the failure in plain words first."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from ..failures import failure_explain
from ..models import SyncJob, SyncRun


class SyncFailureDisplay:
    """A run's or job's failure in plain words first (rosters.failures); its technical text after, collapsed."""

    TECHNICAL = (_("Technical detail"), {"classes": ["collapse"], "fields": ("error",)})

    @admin.display(description=_("what went wrong"))
    def problem(self, obj):
        return failure_explain(obj.error)

    @admin.display(description=_("teacher or district"))
    def synced(self, obj):
        return obj.teacher or obj.district

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        return [*fieldsets, self.TECHNICAL] if obj is not None and obj.error else fieldsets


@admin.register(SyncRun)
class SyncRunAdmin(SyncFailureDisplay, admin.ModelAdmin):
    list_display = ("started_at", "synced", "mode", "trigger", "outcome", "changes", "problem")
    list_filter = ("outcome", "mode", "trigger", "started_at")
    search_fields = (
        "teacher__first_name",
        "teacher__last_name",
        "teacher__clever_id",
        "district__name",
        "district__district_id",
        "error",
    )
    list_select_related = ("teacher", "district")
    date_hierarchy = "started_at"
    readonly_fields = (
        "teacher",
        "district",
        "mode",
        "requested_by",
        "trigger",
        "outcome",
        "problem",
        "message",
        "started_at",
        "finished_at",
        "records",
        "created",
        "updated",
        "removed",
        "restored",
        "http_calls",
        "note",
        "error",
    )
    fieldsets = (
        (
            None,
            {"fields": ("teacher", "district", "mode", "trigger", "requested_by", "outcome", "problem", "message")},
        ),
        (_("What changed"), {"fields": ("records", "created", "updated", "removed", "restored", "note")}),
        (_("Timing"), {"fields": ("started_at", "finished_at", "http_calls")}),
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("changes"))
    def changes(self, obj):
        counts = (
            (obj.created, _("created")),
            (obj.updated, _("updated")),
            (obj.removed, _("removed")),
            (obj.restored, _("restored")),
        )
        return ", ".join(f"{count} {name}" for count, name in counts if count) or _("none")


@admin.register(SyncJob)
class SyncJobAdmin(SyncFailureDisplay, admin.ModelAdmin):
    """Background syncs: what is queued, running, retried or failed, and why."""

    list_display = ("requested_at", "synced", "trigger", "status", "attempt", "run_after", "problem")
    list_filter = ("status", "trigger", "requested_at")
    search_fields = (
        "teacher__first_name",
        "teacher__last_name",
        "teacher__clever_id",
        "district__district_id",
        "error",
        "task_id",
    )
    list_select_related = ("teacher", "district")
    date_hierarchy = "requested_at"
    change_list_template = "admin/rosters/syncjob/change_list.html"
    readonly_fields = (
        "teacher",
        "district",
        "mode",
        "requested_by",
        "trigger",
        "status",
        "problem",
        "requested_at",
        "attempt",
        "deferrals",
        "task_id",
        "run_after",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "last_run",
        "error",
    )
    fieldsets = (
        (
            None,
            {"fields": ("teacher", "district", "mode", "trigger", "requested_by", "status", "problem", "last_run")},
        ),
        (
            _("Attempts"),
            {
                "fields": (
                    "requested_at",
                    "attempt",
                    "deferrals",
                    "run_after",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                    "task_id",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# django-tasks-db's rows under the background syncs are the framework's bookkeeping: shown to
# superusers only. Staff follow the same work in Background syncs, in the product's words.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db's task results, for superusers (debugging the workers); hidden from other staff."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
