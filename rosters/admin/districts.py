"""Districts in the admin: their token (entered, never shown), status, sync state, and syncing one now."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import clever, districts, jobs, services
from ..models import DistrictToken, SyncJob, SyncRun


class DistrictTokenForm(forms.ModelForm):
    """Takes a token and never shows it back: leaving the field empty keeps the stored one."""

    token = forms.CharField(
        label=_("Token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "The district-app token from the Clever dashboard. It is stored encrypted and never shown. "
            "A new token reconnects a disconnected district."
        ),
    )

    class Meta:
        model = DistrictToken
        fields = ("district_id", "name", "token", "sync_mode")

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not token and not (self.instance.pk and self.instance.token):
            raise forms.ValidationError(_("Enter the district's token."))
        self.token_entered = bool(token)
        return token or self.instance.token


@admin.register(DistrictToken)
class DistrictTokenAdmin(admin.ModelAdmin):
    """Districts that share the app: their token's status, where their sync stands, and Sync now."""

    form = DistrictTokenForm
    list_display = (
        "__str__",
        "district_id",
        "status",
        "sync_mode",
        "last_full_sync_at",
        "last_incremental_sync_at",
        "last_event_id",
        "last_counts",
        "has_token",
    )
    list_filter = ("status", "sync_mode")
    list_select_related = ("last_run",)
    search_fields = ("district_id", "name")
    change_list_template = "admin/rosters/districttoken/change_list.html"
    sync_fields = (
        "last_full_sync_at",
        "last_incremental_sync_at",
        "last_event_id",
        "event_position_known",
        "last_run",
        "last_counts",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("status", "disconnected_at", *sync_fields)
    fieldsets = (
        (None, {"fields": ("district_id", "name", "token", "sync_mode")}),
        (_("Connection"), {"fields": ("status", "disconnected_at")}),
        (_("Sync"), {"fields": sync_fields}),
    )
    actions = ("sync_now",)

    @admin.display(description=_("token"), boolean=True)
    def has_token(self, obj):
        return bool(obj.token)

    @admin.display(description=_("last sync"))
    def last_counts(self, obj):
        run = obj.last_run
        if run is None:
            return "—"
        return _(
            "%(outcome)s: %(records)d read, %(created)d created, %(updated)d updated, %(removed)d removed, "
            "%(restored)d restored, %(calls)d Clever calls"
        ) % {
            "outcome": run.get_outcome_display(),
            "records": run.records,
            "created": run.created,
            "updated": run.updated,
            "removed": run.removed,
            "restored": run.restored,
            "calls": run.http_calls,
        }

    def save_model(self, request, obj, form, change):
        districts.district_token_save(
            district=obj,
            token_changed=getattr(form, "token_entered", False),
            actor=districts.Actor(user=request.user, request=request),
        )

    @admin.action(description=_("Sync now (whole district, as a background job)"), permissions=["change"])
    def sync_now(self, request, queryset):
        connected = [district for district in queryset if district.is_connected]
        for district in queryset:
            if not district.is_connected:
                self.message_user(
                    request,
                    _("%(district)s is disconnected: Clever refused its token. Import or enter a new token first.")
                    % {"district": district},
                    messages.ERROR,
                )
        if not connected:
            return
        queued = jobs.district_jobs_enqueue(
            districts=connected, trigger=SyncRun.Trigger.ADMIN, requested_by=request.user
        )
        if jobs.sync_jobs_run_inline():
            # The immediate backend ran each job here: say how each ended.
            for job in SyncJob.objects.filter(pk__in=[job.pk for job in queued]).select_related(
                "district", "last_run"
            ):
                run = job.last_run
                if job.status == SyncJob.Status.SUCCEEDED and run is not None:
                    changes = run.created + run.updated + run.removed + run.restored
                    text = _("Synced %(district)s: %(records)d records read, %(changes)d changes.") % {
                        "district": job.district,
                        "records": run.records,
                        "changes": changes,
                    }
                    self.message_user(request, text, messages.SUCCESS)
                else:
                    text = _("Sync of %(district)s failed: %(error)s") % {"district": job.district, "error": job.error}
                    self.message_user(request, text, messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "Queued a sync of %d district; its status shows under Sync jobs.",
                "Queued a sync of %d districts; their status shows under Sync jobs.",
                len(queued),
            )
            % len(queued),
            messages.SUCCESS,
        )

    def get_urls(self):
        urls = [
            path(
                "import-from-clever/",
                self.admin_site.admin_view(require_POST(self.import_from_clever)),
                name="rosters_districttoken_import",
            )
        ]
        return urls + super().get_urls()

    def import_from_clever(self, request):
        """Fetch every district-app token Clever holds for this app, and store them."""
        # It adds tokens and overwrites the ones stored: both permissions.
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            self.message_user(request, _("You may not add or change district tokens."), messages.ERROR)
        else:
            try:
                imported = services.district_tokens_import(actor=districts.Actor(user=request.user, request=request))
            except clever.CleverError as exc:
                self.message_user(
                    request,
                    _("Clever could not list the tokens: %(error)s") % {"error": exc.describe()},
                    messages.ERROR,
                )
            else:
                message = _("Imported from Clever: %(created)d new, %(updated)d updated.") % {
                    "created": imported.created,
                    "updated": imported.updated,
                }
                if imported.reconnected:
                    message += " " + _("%(count)d disconnected district(s) connected again.") % {
                        "count": imported.reconnected
                    }
                self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:rosters_districttoken_changelist"))
