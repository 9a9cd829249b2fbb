from allauth.account.decorators import secure_admin_login
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from audit.services import audit_record
from rosters.models import Teacher
from rosters.selectors import district_name

from . import services
from .models import PlanOffer, User
from .selectors import CLEVER_PROVIDER_ID, account_deletion_preview

# Credentials come from settings and tokens are never stored by allauth (the teacher's token
# lives encrypted on rosters.Teacher): neither belongs in the admin.
for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
if admin.site.is_registered(SocialAccount):
    admin.site.unregister(SocialAccount)


# Staff sign in on the site's own sign-in page (allauth's), with its failed-password limits
# (ACCOUNT_RATE_LIMITS, per email and per IP); the admin's own form has none.
admin.site.login = secure_admin_login(admin.site.login)


class HasCleverFilter(admin.SimpleListFilter):
    title = _("Clever")
    parameter_name = "has_clever"

    def lookups(self, request, model_admin):
        return [("yes", _("Connected to Clever")), ("no", _("No Clever"))]

    def queryset(self, request, queryset):
        connected = SocialAccount.objects.filter(provider=CLEVER_PROVIDER_ID).values("user_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=connected)
        if self.value() == "no":
            return queryset.exclude(pk__in=connected)
        return queryset


class SocialAccountInline(admin.TabularInline):
    model = SocialAccount
    verbose_name = _("sign-in identity")
    verbose_name_plural = _("sign-in identities")
    fields = readonly_fields = ("provider", "uid", "date_joined", "last_login")
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """People who sign in. What staff come for (the plan, the Clever teacher) leads each page.

    The list fits 1280 px and links each row by the person's name; the Clever ID is found by
    searching. On a user's page the plan and what Clever says of them come first, and
    Django's groups and permissions wait in a collapsed section at the end.
    """

    list_display = ("name", "email", "plan", "trial_end", "sharing", "is_staff")
    list_display_links = ("name",)
    list_select_related = ("teacher",)
    list_filter = ("plan", HasCleverFilter, "teacher__sharing", *BaseUserAdmin.list_filter)
    search_fields = ("username", "first_name", "last_name", "email", "teacher__clever_id", "socialaccount__uid")
    search_help_text = _("A name, an email, a username or a Clever ID.")
    CLEVER_FIELDS = (
        "clever_teacher",
        "clever_id",
        "clever_sharing",
        "clever_school",
        "clever_district",
        "clever_title",
        "clever_last_synced",
    )
    readonly_fields = ("last_login", "date_joined", *CLEVER_FIELDS)
    PLAN = (_("Plan"), {"fields": ("plan", "trial_ends_at")})
    CLEVER = (
        _("Clever"),
        {
            "fields": CLEVER_FIELDS,
            "description": _("What Clever says of this teacher, read-only: it changes at each sign-in and sync."),
        },
    )
    PERSON = (
        (_("Name and email"), {"fields": ("first_name", "last_name", "email")}),
        (_("Sign-in"), {"fields": ("username", "password", "last_login", "date_joined")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Groups and permissions"), {"classes": ["collapse"], "fields": ("groups", "user_permissions")}),
    )
    inlines = [SocialAccountInline]
    actions = ["delete_teacher_and_data"]
    # What an account's deletion takes along without the person deleting it having to be
    # allowed to delete such rows one by one: their admins refuse that (a Clever identity or a
    # teacher row deleted alone would leave an account half linked), not the account's deletion.
    DELETED_WITH_THE_ACCOUNT = (SocialAccount, Teacher)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)  # the add form: Django's username and password
        if _teacher(obj) is None:
            return (self.PLAN, *self.PERSON)
        return (self.PLAN, self.CLEVER, *self.PERSON)

    # --- The list's columns ---

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, user):
        return user.get_full_name() or user.email or user.username

    @admin.display(description=_("trial ends"), ordering="trial_ends_at", empty_value="")
    def trial_end(self, user):
        return date_format(timezone.localtime(user.trial_ends_at), "SHORT_DATE_FORMAT") if user.trial_ends_at else None

    @admin.display(description=_("shared by"), ordering="teacher__sharing")
    def sharing(self, user):
        teacher = _teacher(user)
        return teacher.get_sharing_display() if teacher else ""

    # --- The Clever section of a teacher's page ---

    @admin.display(description=_("teacher"))
    def clever_teacher(self, user):
        teacher = _teacher(user)
        url = reverse("admin:rosters_teacher_change", args=[teacher.pk])
        return format_html('<a href="{}">{}</a>', url, _("%(name)s: classes and last sync") % {"name": teacher})

    @admin.display(description=_("Clever ID"))
    def clever_id(self, user):
        return _teacher(user).clever_id

    @admin.display(description=_("shared by"))
    def clever_sharing(self, user):
        return _teacher(user).get_sharing_display()

    @admin.display(description=_("school"))
    def clever_school(self, user):
        return _teacher(user).school_name or "-"

    @admin.display(description=_("district"))
    def clever_district(self, user):
        teacher = _teacher(user)
        if teacher.is_library:
            return _("None: a Clever Library teacher")
        return district_name(district_id=teacher.district_id) or teacher.district_id or "-"

    @admin.display(description=_("title"))
    def clever_title(self, user):
        return _teacher(user).title or "-"

    @admin.display(description=_("last synced"))
    def clever_last_synced(self, user):
        synced_at = _teacher(user).last_synced_at
        return localize(timezone.localtime(synced_at)) if synced_at else _("Never")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in ("plan", "trial_ends_at") if name in form.changed_data]
        if change and changed:
            before = ", ".join(f"{name}: {form.initial.get(name) or '-'}" for name in changed)
            after = ", ".join(f"{name}: {getattr(obj, name) or '-'}" for name in changed)
            audit_record(
                action=AuditEvent.Action.PLAN_CHANGED,
                request=request,
                target_type="user",
                target_id=obj.pk,
                detail=f"{before} -> {after}",
            )

    # --- Deleting: every way staff delete an account goes through accounts.services.user_delete ---

    def get_deleted_objects(self, objs, request):
        deleted_objects, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        taken_along = {str(model._meta.verbose_name) for model in self.DELETED_WITH_THE_ACCOUNT}
        perms_needed = {name for name in perms_needed if str(name) not in taken_along}
        return deleted_objects, model_count, perms_needed, protected

    def render_delete_form(self, request, context):
        # The standard delete page lists the rows Django's cascade takes; add what goes beyond them.
        context["account_deletion"] = account_deletion_preview(user=context["object"])
        return super().render_delete_form(request, context)

    def delete_model(self, request, obj):
        services.user_delete(user=obj, request=request)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user, request=request)

    @admin.action(description=_("Delete teacher and their data"), permissions=["delete"])
    def delete_teacher_and_data(self, request, queryset):
        """Delete the selected accounts with everything only they held, after a confirmation page."""
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, _("You cannot delete your own account here."), messages.ERROR)
            return None
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Delete these teachers and their data?"),
                "opts": self.model._meta,
                "deletions": [(user, account_deletion_preview(user=user)) for user in queryset],
                "objects": queryset,
                "action": "delete_teacher_and_data",
                "confirm_label": _("Yes, delete them and their data"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accounts/user/delete_teacher_confirmation.html", context)
        count = 0
        for user in queryset:
            services.user_delete(user=user, request=request)
            count += 1
        self.message_user(
            request,
            ngettext("Deleted %(count)d account and its data.", "Deleted %(count)d accounts and their data.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        return None


def _teacher(user) -> Teacher | None:
    return getattr(user, "teacher", None)


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    """Clever identities (allauth's SocialAccount), read-only: they change only by logging in or merging."""

    list_display = ("uid", "provider", "user", "date_joined", "last_login")
    list_filter = ("provider",)
    list_select_related = ("user",)
    search_fields = ("uid", "user__email", "user__first_name", "user__last_name", "user__username")
    fields = readonly_fields = ("provider", "uid", "user", "extra_data", "date_joined", "last_login")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlanOffer)
class PlanOfferAdmin(admin.ModelAdmin):
    """The one plan message: what a Library teacher reads when their trial ends, and its button."""

    list_display = ("__str__", "action_text", "action_url", "updated_at")
    fields = ("trial_ended_text", "action_text", "action_url")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not PlanOffer.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
