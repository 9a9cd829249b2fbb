from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rosters.models import Sharing

from . import services
from .exports import answers_csv_write
from .forms import QuestionAdminForm
from .models import Answer, Onboarding, Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ("label", "kind", "prefill", "district_must_answer", "library_must_answer", "order", "active")
    list_display_links = ("label",)
    list_editable = ("order", "active")
    list_filter = ("active", "kind", "required_for_district", "required_for_library", "prefill")
    search_fields = ("label", "help_text")
    ordering = ("order", "pk")
    fieldsets = (
        (None, {"fields": ("label", "help_text", "kind")}),
        (
            _("Choices"),
            {"fields": ("choices",), "description": _("Only for single and multiple choice questions.")},
        ),
        (
            _("Who must answer"),
            {
                "fields": ("required_for_district", "required_for_library"),
                "description": _("Unticked: the question is asked, but may be left empty."),
            },
        ),
        (_("Prefill from Clever"), {"fields": ("prefill",)}),
        (
            _("Placement"),
            {
                "fields": ("order", "active"),
                "description": _(
                    "A question somebody answered cannot be deleted: deactivate it instead, and its answers stay."
                ),
            },
        ),
    )

    # Short column titles: the list has to fit order and active next to them.
    @admin.display(description=_("required: district"), boolean=True, ordering="required_for_district")
    def district_must_answer(self, obj):
        return obj.required_for_district

    @admin.display(description=_("required: Library"), boolean=True, ordering="required_for_library")
    def library_must_answer(self, obj):
        return obj.required_for_library


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("label", "answer", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("question__order", "question_id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("answer"))
    def answer(self, obj):
        return obj.question.display(obj.value)


class FinishedFilter(admin.SimpleListFilter):
    title = _("finished")
    parameter_name = "finished"

    def lookups(self, request, model_admin):
        return (("yes", _("Finished")), ("no", _("Not finished")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(finished_at__isnull=self.value() == "no")
        return queryset


class SharingFilter(admin.SimpleListFilter):
    title = _("shared by")
    parameter_name = "sharing"

    def lookups(self, request, model_admin):
        return Sharing.choices

    def queryset(self, request, queryset):
        if self.value() in Sharing.values:
            return queryset.filter(user__teacher__sharing=self.value())
        return queryset


@admin.register(Onboarding)
class OnboardingAdmin(admin.ModelAdmin):
    list_display = ("user", "teacher_name", "shared_by", "started_at", "finished_at", "is_finished")
    list_filter = (FinishedFilter, SharingFilter)
    list_select_related = ("user", "user__teacher")
    search_fields = (
        "user__email",
        "user__username",
        "user__teacher__first_name",
        "user__teacher__last_name",
        "user__teacher__clever_id",
    )
    raw_id_fields = ("user",)
    date_hierarchy = "started_at"
    inlines = (AnswerInline,)
    actions = ("export_answers_csv", "reset_onboarding")

    def get_fields(self, request, obj=None):
        # Adding one by hand marks a teacher as onboarded (e.g. for support); afterwards it is read-only.
        return ("user", "finished_at") if obj is None else ("user", "started_at", "finished_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "started_at", "finished_at", "updated_at")

    @admin.display(description=_("teacher"), ordering="user__teacher__last_name")
    def teacher_name(self, obj):
        teacher = getattr(obj.user, "teacher", None)
        return teacher.full_name if teacher else "—"

    @admin.display(description=_("shared by"), ordering="user__teacher__sharing")
    def shared_by(self, obj):
        teacher = getattr(obj.user, "teacher", None)
        return teacher.get_sharing_display() if teacher else "—"

    @admin.display(description=_("finished"), boolean=True, ordering="finished_at")
    def is_finished(self, obj):
        return obj.is_finished

    @admin.action(description=_("Export the answers of the selected teachers (CSV)"), permissions=["view"])
    def export_answers_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="onboarding-answers-{stamp}.csv"'
        answers_csv_write(onboardings=queryset, out=response)
        services.onboarding_export_record(request=request, user_ids=list(queryset.values_list("user_id", flat=True)))
        return response

    @admin.action(description=_("Reset onboarding: forget answers and ask again"), permissions=["change"])
    def reset_onboarding(self, request, queryset):
        # The answers are deleted, so staff confirm first, as for Django's own delete action.
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Reset onboarding?"),
                "opts": self.model._meta,
                "queryset": queryset.select_related("user"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/onboarding/onboarding/reset_confirmation.html", context)
        count = 0
        for onboarding in queryset:
            services.onboarding_reset(onboarding=onboarding, request=request)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d teacher will answer the questionnaire again.",
                "%(count)d teachers will answer the questionnaire again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None
