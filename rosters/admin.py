"""The roster in the admin: what Clever owns is read-only; actions and the token import call rosters' services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from . import clever, districts, jobs, services
from .failures import failure_explain
from .labels import grade_label, subject_label
from .models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncJob, SyncRun, Teacher
from .selectors import sections_with_school_names


def _short_datetime(value):
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else None


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


class LabelledValuesFilter(admin.SimpleListFilter):
    """Filter by a field's values as teachers read them ("Math", "Grade 9"), not as Clever sends them."""

    field = ""

    def label(self, value: str) -> str:
        return value

    def sort_key(self, pair: tuple[str, str]):
        return pair[1].casefold()

    def lookups(self, request, model_admin):
        values = model_admin.model.objects.exclude(**{self.field: ""}).order_by().values_list(self.field, flat=True)
        return sorted(((value, str(self.label(value))) for value in values.distinct()), key=self.sort_key)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class SubjectFilter(LabelledValuesFilter):
    title = _("subject")
    parameter_name = field = "subject"

    def label(self, value):
        return subject_label(value)


# Clever's grades before grade 1, youngest first: the grade filter lists them first, then grades by number.
EARLY_GRADES = ("InfantToddler", "Preschool", "PreKindergarten", "TransitionalKindergarten", "Kindergarten")


class GradeFilter(LabelledValuesFilter):
    title = _("grade")
    parameter_name = field = "grade"

    def label(self, value):
        return grade_label(value)

    def sort_key(self, pair):
        value, label = pair
        if value in EARLY_GRADES:
            return (0, EARLY_GRADES.index(value), "")
        if value.isdigit():
            return (1, int(value), "")
        return (2, 0, label.casefold())


class SchoolFilter(LabelledValuesFilter):
    """Schools by name where a sync has read it (rosters.selectors.sections_with_school_names), else by id."""

    title = _("school")
    parameter_name = field = "school_id"

    def lookups(self, request, model_admin):
        sections = sections_with_school_names(sections=Section.objects.exclude(school_id=""))
        rows = sections.order_by().values_list("school_id", "school_name").distinct()
        return sorted(((school_id, name or school_id) for school_id, name in rows), key=self.sort_key)


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "school_name", "sharing", "has_account", "last_synced")
    list_filter = ("sharing", SignedInFilter, "last_synced_at")
    search_fields = ("first_name", "last_name", "email", "clever_id", "user__email", "school_name")
    search_help_text = _("A name, an email, a school or a Clever ID.")
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
        (_("School and district"), {"fields": ("school_name", "school_id", "district_id")}),
        (_("Sync"), {"fields": ("last_synced_at", "token_status", "created_at", "updated_at")}),
    )
    inlines = (TeacherSectionInline,)
    actions = ("sync_from_clever",)

    def has_add_permission(self, request):
        return False  # teachers arrive from Clever

    def has_delete_permission(self, request, obj=None):
        # A teacher leaves with their account ("Delete teacher and their data" on Users) or by
        # the data policy's purge; a row deleted alone would leave their classes untaught.
        return False

    @admin.display(description=_("has signed in"), boolean=True, ordering="user")
    def has_account(self, obj):
        return obj.user_id is not None

    @admin.display(description=_("last synced"), ordering="last_synced_at", empty_value=_("Never"))
    def last_synced(self, obj):
        return _short_datetime(obj.last_synced_at)

    @admin.display(description=_("Clever token"))
    def token_status(self, obj):
        if obj.token:
            return _("Stored (saved %(when)s)") % {"when": obj.token_saved_at} if obj.token_saved_at else _("Stored")
        return _("None: a sync needs a district token or a fresh login")

    @admin.action(description=_("Sync selected teachers from Clever"), permissions=["change"])
    def sync_from_clever(self, request, queryset):
        """Queue one background sync per teacher; with no workers, sync a few here and refuse more."""
        if not jobs.sync_jobs_run_inline():
            queued = jobs.sync_jobs_enqueue(
                teachers=queryset, trigger=SyncRun.Trigger.ADMIN, requested_by=request.user
            )
            self.message_user(
                request,
                ngettext(
                    "Queued %d sync: the workers run it in the background (see Background syncs for how it went).",
                    "Queued %d syncs: the workers run them in the background (see Background syncs for how they "
                    "went).",
                    len(queued),
                )
                % len(queued),
                messages.SUCCESS,
            )
            return
        count = queryset.count()
        limit = settings.ROSTER_ADMIN_SYNC_INLINE_MAX
        if count > limit:
            self.message_user(
                request,
                _(
                    "%(count)d teachers are too many to sync while you wait (at most %(limit)d here, with no "
                    "background workers). Run `manage.py sync_rosters --enqueue` with their --teacher or "
                    "--district, or set up workers (docs/workers.md)."
                )
                % {"count": count, "limit": limit},
                messages.ERROR,
            )
            return
        self._sync_inline(request, queryset)

    def _sync_inline(self, request, queryset):
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
                failed.append(f"{teacher}: {failure_explain(run.error)}")
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
    """Classes as teachers read them: "Math", "Grade 9" and the school's name; Clever's values below."""

    list_display = ("name", "subject_name", "grade_name", "period", "school", "student_count")
    list_filter = (SubjectFilter, GradeFilter, SchoolFilter)
    search_fields = ("name", "clever_id", "section_teachers__teacher__last_name")
    search_help_text = _("A class name, a teacher's last name or a Clever ID.")
    AS_TEACHERS_READ_IT = ("name", "subject_name", "grade_name", "period", "section_number", "school")
    AS_CLEVER_SENDS_IT = (
        "clever_id",
        "clever_subject",
        "clever_grade",
        "school_id",
        "district_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = AS_TEACHERS_READ_IT + AS_CLEVER_SENDS_IT
    fieldsets = (
        (None, {"fields": AS_TEACHERS_READ_IT}),
        (_("As Clever sends it"), {"classes": ["collapse"], "fields": AS_CLEVER_SENDS_IT}),
    )
    inlines = (SectionTeacherInline, EnrollmentInline)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        sections = sections_with_school_names(sections=super().get_queryset(request))
        return sections.annotate(
            active_students=Count("enrollments", filter=Q(enrollments__removed_at__isnull=True), distinct=True)
        )

    @admin.display(description=_("subject"), ordering="subject")
    def subject_name(self, obj):
        return subject_label(obj.subject)

    @admin.display(description=_("grade"), ordering="grade")
    def grade_name(self, obj):
        return grade_label(obj.grade)

    @admin.display(description=_("Clever's subject"))
    def clever_subject(self, obj):
        return obj.subject

    @admin.display(description=_("Clever's grade"))
    def clever_grade(self, obj):
        return obj.grade

    @admin.display(description=_("school"), ordering="school_name")
    def school(self, obj):
        # No teacher of that school has synced yet: the id is all we know.
        return obj.school_name or obj.school_id

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
    list_display = ("__str__", "grade_name", "clever_id", "archived_at")
    list_filter = (ArchivedFilter, GradeFilter)
    search_fields = ("first_name", "last_name", "clever_id")
    readonly_fields = (
        "clever_id",
        "first_name",
        "middle_name",
        "last_name",
        "grade_name",
        "archived_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = (EnrollmentInline,)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("grade"), ordering="grade")
    def grade_name(self, obj):
        return grade_label(obj.grade)


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
