from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from rosters.models import Sharing

from . import selectors, services
from .exports import answers_csv_write
from .forms import QuestionAdminForm
from .models import Answer, Onboarding, Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Staff shape the questionnaire (docs/onboarding.md).

    A new question goes last and is optional unless staff tick otherwise; the add form says who
    will be asked. Teachers who already finished are asked only through the action "Ask teachers
    who already finished". An answered question is deactivated, never deleted.
    """

    form = QuestionAdminForm
    list_display = ("label", "kind", "prefill", "district_must_answer", "library_must_answer", "order", "active")
    list_display_links = ("label",)
    list_editable = ("order", "active")
    list_filter = ("active", "kind", "required_for_district", "required_for_library", "prefill")
    search_fields = ("label", "help_text")
    ordering = ("order", "pk")
    actions = ("ask_finished_teachers",)
    delete_confirmation_template = "admin/onboarding/question/delete_confirmation.html"
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

    def get_fieldsets(self, request, obj=None):
        note = self._who_is_asked(obj)
        if not note:
            return self.fieldsets
        return ((_("Who will be asked"), {"fields": (), "description": note}), *self.fieldsets)

    @staticmethod
    def _who_is_asked(obj):
        """Say which teachers see this question: those still onboarding, not those who finished."""
        if obj is None:
            finished, pending = selectors.teachers_onboarding_counts()
            note = _(
                "Teachers who have not finished onboarding yet (%(pending)d now) and every new teacher will be "
                "asked on their next page."
            ) % {"pending": pending}
            if finished:
                note += " " + ngettext(
                    "The teacher who already finished will not be asked, unless you then select this question "
                    "in the list and choose “Ask teachers who already finished”.",
                    "The %(count)d teachers who already finished will not be asked, unless you then select this "
                    "question in the list and choose “Ask teachers who already finished”.",
                    finished,
                ) % {"count": finished}
            return escape(note)
        if not obj.active:
            return ""
        missing = selectors.onboardings_finished_without(questions=[obj]).count()
        if not missing:
            return ""
        return escape(
            ngettext(
                "%(count)d teacher finished onboarding before this question was asked. To ask them, select it "
                "in the list and choose “Ask teachers who already finished”.",
                "%(count)d teachers finished onboarding before this question was asked. To ask them, select it "
                "in the list and choose “Ask teachers who already finished”.",
                missing,
            )
            % {"count": missing},
        )

    # Short column titles: the list has to fit order and active next to them.
    @admin.display(description=_("required: district"), boolean=True, ordering="required_for_district")
    def district_must_answer(self, obj):
        return obj.required_for_district

    @admin.display(description=_("required: Library"), boolean=True, ordering="required_for_library")
    def library_must_answer(self, obj):
        return obj.required_for_library

    # --- Asking teachers who already finished ---

    def has_reopen_permission(self, request):
        # It changes teachers' onboardings, as "Reset onboarding" on their list does.
        return request.user.has_perm("onboarding.change_onboarding")

    @admin.action(description=_("Ask teachers who already finished"), permissions=["reopen"])
    def ask_finished_teachers(self, request, queryset):
        """Send the teachers who finished without the selected questions back to answer them (confirmed first)."""
        questions = list(queryset.order_by("order", "pk"))
        inactive = [str(question) for question in questions if not question.active]
        if inactive:
            self.message_user(
                request,
                _("Inactive questions are not asked; make them active first: %(questions)s")
                % {"questions": ", ".join(f"“{label}”" for label in inactive)},
                messages.ERROR,
            )
            return None
        waiting = selectors.onboardings_finished_without(questions=questions).count()
        if not waiting:
            self.message_user(
                request,
                _("Every teacher who finished onboarding has already answered these questions."),
                messages.INFO,
            )
            return None
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Ask teachers who already finished?"),
                "opts": self.model._meta,
                "objects": questions,
                "waiting": waiting,
                "action": "ask_finished_teachers",
                "confirm_label": _("Yes, ask them"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/onboarding/question/ask_again_confirmation.html", context)
        count = services.onboarding_reopen(questions=questions, request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d teacher will be asked on their next page; their other answers stay.",
                "%(count)d teachers will be asked on their next page; their other answers stay.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None

    # --- Deleting: an answered question is deactivated instead ---

    def get_deleted_objects(self, objs, request):
        deleted_objects, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            # Not every answer as a link (hundreds of lines), but how many each question has.
            answered = (
                Answer.objects.filter(question__in=objs)
                .values_list("question__label")
                .annotate(count=Count("pk"))
                .order_by("question__order", "question__pk")
            )
            protected = [
                ngettext("“%(question)s”: %(count)d answer", "“%(question)s”: %(count)d answers", count)
                % {"question": label, "count": count}
                for label, count in answered
            ]
        return deleted_objects, model_count, perms_needed, protected

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/deactivate/",
                self.admin_site.admin_view(require_POST(self.deactivate_view)),
                name="onboarding_question_deactivate",
            )
        ]
        return urls + super().get_urls()

    def deactivate_view(self, request, pk):
        """Deactivate a question (offered where its delete is refused); its answers stay."""
        question = get_object_or_404(Question, pk=pk)
        if not self.has_change_permission(request, question):
            raise PermissionDenied
        if services.question_deactivate(question=question):
            self.log_change(request, question, [{"changed": {"fields": ["active"]}}])
            self.message_user(
                request,
                _("“%(question)s” is no longer asked. Its answers stay, in teachers' onboardings and the export.")
                % {"question": question},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("“%(question)s” was already inactive.") % {"question": question})
        return HttpResponseRedirect(reverse("admin:onboarding_question_changelist"))


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
                "objects": queryset.select_related("user"),
                "action": "reset_onboarding",
                "confirm_label": _("Yes, reset"),
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
