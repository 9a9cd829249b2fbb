from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from rosters.models import Teacher

from .models import PlanOffer, User
from .selectors import CLEVER_PROVIDER_ID

# Credentials come from settings and tokens are never stored by allauth (the teacher's token
# lives encrypted on rosters.Teacher): neither belongs in the admin.
for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
if admin.site.is_registered(SocialAccount):
    admin.site.unregister(SocialAccount)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in, saying what it accepts: staff sign in with their email, as everywhere here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email or username")


admin.site.login_form = AdminLoginForm


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


class TeacherInline(admin.StackedInline):
    """The Clever teacher behind this account; Clever owns it, so it is read-only here (never the token)."""

    model = Teacher
    fk_name = "user"
    verbose_name = _("Clever teacher")
    fields = readonly_fields = (
        "clever_id",
        "first_name",
        "last_name",
        "email",
        "title",
        "sharing",
        "district_id",
        "school_id",
        "last_synced_at",
    )
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = True


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
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "plan",
        "trial_ends_at",
        "clever_id",
        "sharing",
        "is_staff",
    )
    list_select_related = ("teacher",)
    list_filter = ("plan", HasCleverFilter, "teacher__sharing", *BaseUserAdmin.list_filter)
    search_fields = ("username", "first_name", "last_name", "email", "teacher__clever_id", "socialaccount__uid")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Plan"), {"fields": ("plan", "trial_ends_at")}))
    inlines = [TeacherInline, SocialAccountInline]

    @admin.display(description=_("Clever ID"), ordering="teacher__clever_id")
    def clever_id(self, user):
        teacher = getattr(user, "teacher", None)
        return teacher.clever_id if teacher else ""

    @admin.display(description=_("shared by"), ordering="teacher__sharing")
    def sharing(self, user):
        teacher = getattr(user, "teacher", None)
        return teacher.get_sharing_display() if teacher else ""


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
