from django import template
from django.utils.translation import gettext as _

register = template.Library()

GRADE_NAMES = {
    "InfantToddler": "Infant/toddler",
    "Preschool": "Preschool",
    "PreKindergarten": "Pre-K",
    "TransitionalKindergarten": "Transitional K",
    "Kindergarten": "Kindergarten",
    "PostGraduate": "Postgraduate",
    "Ungraded": "Ungraded",
    "Other": "Other",
}


@register.filter
def grade_label(grade: str) -> str:
    """Return Clever's grade value as a teacher would say it ("5" -> "Grade 5")."""
    if not grade:
        return ""
    if grade.isdigit():
        return _("Grade %(grade)s") % {"grade": grade}
    return GRADE_NAMES.get(grade, grade)


@register.filter
def subject_label(subject: str) -> str:
    """Return Clever's subject value capitalised ("english/language arts" -> "English/language arts")."""
    return subject[:1].upper() + subject[1:] if subject else ""
