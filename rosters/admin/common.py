"""What the roster's admin pages share: read-only inlines, filters that show teachers' labels, dates."""

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ..labels import grade_label, subject_label
from ..models import Enrollment, Section, SectionTeacher
from ..selectors import sections_with_school_names


def short_datetime(value):
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

    def get_queryset(self, request):
        # The links each row shows, read in the same query: not one query per row.
        shown = [name for name in self.fields if self.model._meta.get_field(name).many_to_one]
        return super().get_queryset(request).select_related(*shown)


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
