"""The roster in the admin: what Clever owns is read-only; actions and the token import call rosters' services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import clever, districts, jobs, services
from .models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncJob, SyncRun, Teacher


class ReadOnlyInline(admin.TabularInline):
    """Rows Clever owns: shown, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TeacherSectionInline(ReadOnlyInline):
    model = SectionTeacher
    fk_name = "teacher"
    fields = ("section", "is_primary")
    readonly_fields = fields
    verbose_name_plural = _("sections")


class SectionTeacherInline(ReadOnlyInline):
    model = SectionTeacher
    fk_name = "section"
    fields = ("teacher", "is_primary")
    readonly_fields = fields
    verbose_name_plural = _("teachers")


class EnrollmentInline(ReadOnlyInline):
    model = Enrollment
    fields = ("student", "section", "removed_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student", "section")


class SignedInFilter(admin.SimpleListFilter):
    title = _("signed in")
    parameter_name = "signed_in"

    def lookups(self, request, model_admin):
        return (("yes", _("Has signed in")), ("no", _("Never signed in (co-teacher)")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(user__isnull=self.value() == "no")
        return queryset


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "clever_id", "sharing", "district_id", "user", "last_synced_at")
    list_filter = ("sharing", SignedInFilter, "last_synced_at")
    search_fields = ("first_name", "last_name", "email", "clever_id", "user__email")
    list_select_related = ("user",)
    readonly_fields = (
        "clever_id",
        "user",
        "first_name",
        "middle_name",
        "last_name",
        "email",
        "title",
        "sharing",
        "district_id",
        "school_id",
        "school_name",
        "last_synced_at",
        "token_status",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("clever_id", "user", "sharing")}),
        (_("From Clever"), {"fields": ("first_name", "middle_name", "last_name", "email", "title")}),
        (_("District and school"), {"fields": ("district_id", "school_id", "school_name")}),
        (_("Sync"), {"fields": ("last_synced_at", "token_status", "created_at", "updated_at")}),
    )
    inlines = (TeacherSectionInline,)
    actions = ("sync_from_clever",)

    def has_add_permission(self, request):
        return False  # teachers arrive from Clever

    @admin.display(description=_("Clever token"))
    def token_status(self, obj):
        if obj.token:
            return _("Stored (saved %(when)s)") % {"when": obj.token_saved_at} if obj.token_saved_at else _("Stored")
        return _("None: a sync needs a district token or a fresh login")

    @admin.action(description=_("Sync selected teachers from Clever"), permissions=["change"])
    def sync_from_clever(self, request, queryset):
        synced, failed, need_login = 0, [], []
        for teacher in queryset:
            try:
                run = services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.ADMIN, requested_by=request.user)
            except services.NeedsFreshLogin:
                need_login.append(str(teacher))
                continue
            except services.DistrictDisconnected as exc:
                failed.append(f"{teacher}: {exc}")
                continue
            if run.outcome == SyncRun.Outcome.SUCCESS:
                synced += 1
            else:
                failed.append(f"{teacher}: {run.error}")
        if synced:
            self.message_user(
                request,
                ngettext("Synced %d teacher.", "Synced %d teachers.", synced) % synced,
                messages.SUCCESS,
            )
        if need_login:
            self.message_user(
                request,
                _("Need a fresh Clever login or a district token: %(names)s") % {"names": ", ".join(need_login)},
                messages.WARNING,
            )
        for failure in failed:
            self.message_user(request, _("Sync failed for %(failure)s") % {"failure": failure}, messages.ERROR)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("name", "subject", "grade", "period", "school_id", "student_count", "clever_id")
    list_filter = ("subject", "grade")
    search_fields = ("name", "clever_id", "section_teachers__teacher__last_name")
    readonly_fields = (
        "clever_id",
        "name",
        "subject",
        "grade",
        "period",
        "section_number",
        "school_id",
        "district_id",
        "created_at",
        "updated_at",
    )
    inlines = (SectionTeacherInline, EnrollmentInline)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_students=Count("enrollments", filter=Q(enrollments__removed_at__isnull=True), distinct=True)
            )
        )

    @admin.display(description=_("students"), ordering="active_students")
    def student_count(self, obj):
        return obj.active_students


class ArchivedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("active", _("Active")), ("archived", _("Archived (no class left)")))

    def queryset(self, request, queryset):
        if self.value() in ("active", "archived"):
            return queryset.filter(archived_at__isnull=self.value() == "active")
        return queryset


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "grade", "clever_id", "archived_at")
    list_filter = (ArchivedFilter, "grade")
    search_fields = ("first_name", "last_name", "clever_id")
    readonly_fields = ("clever_id", "first_name", "middle_name", "last_name", "grade", "archived_at", "created_at")
    fields = readonly_fields
    inlines = (EnrollmentInline,)

    def has_add_permission(self, request):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "teacher",
        "district",
        "mode",
        "trigger",
        "outcome",
        "records",
        "created",
        "updated",
        "removed",
        "restored",
        "http_calls",
        "finished_at",
    )
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
        "message",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncJob)
class SyncJobAdmin(admin.ModelAdmin):
    """Background re-syncs: what is queued, running, retried or failed, and why."""

    list_display = (
        "requested_at",
        "teacher",
        "district",
        "trigger",
        "status",
        "attempt",
        "deferrals",
        "run_after",
        "finished_at",
    )
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
    readonly_fields = (
        "teacher",
        "district",
        "mode",
        "requested_by",
        "trigger",
        "status",
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
        if not self.has_add_permission(request):
            self.message_user(request, _("You may not add district tokens."), messages.ERROR)
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
