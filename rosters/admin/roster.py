"""Teachers, sections and students in the admin: what Clever owns, read-only; a sync of selected teachers."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import jobs, services
from ..failures import failure_explain
from ..labels import grade_label, subject_label
from ..models import Section, Student, SyncRun, Teacher
from ..selectors import sections_with_school_names
from .common import (
    EnrollmentInline,
    GradeFilter,
    SchoolFilter,
    SectionTeacherInline,
    SignedInFilter,
    SubjectFilter,
    TeacherSectionInline,
    short_datetime,
)


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
        return short_datetime(obj.last_synced_at)

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
