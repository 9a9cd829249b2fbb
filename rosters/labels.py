"""Clever's values as teachers read them: "9" -> "Grade 9", "math" -> "Math".

One table for every page that shows them: My classes (through the template filters in
rosters.templatetags) and the admin's lists and filters.
"""

from django.utils.translation import gettext_lazy as _

# The words teachers see for Clever's values, as the default onboarding questions word them.
GRADE_NAMES = {
    "InfantToddler": _("Infant / toddler"),
    "Preschool": _("Preschool"),
    "PreKindergarten": _("Pre-K"),
    "TransitionalKindergarten": _("Transitional kindergarten"),
    "Kindergarten": _("Kindergarten"),
    "PostGraduate": _("Postgraduate"),
    "Ungraded": _("Ungraded"),
    "Other": _("Other"),
}
SUBJECT_NAMES = {
    "english/language arts": _("English / language arts"),
    "math": _("Math"),
    "science": _("Science"),
    "social studies": _("Social studies"),
    "language": _("World languages"),
    "homeroom/advisory": _("Homeroom / advisory"),
    "interventions/online learning": _("Interventions / online learning"),
    "technology and engineering": _("Technology and engineering"),
    "PE and health": _("PE and health"),
    "arts and music": _("Arts and music"),
    "other": _("Other"),
}


def grade_label(grade: str) -> str:
    """Return Clever's grade value as a teacher would say it ("5" -> "Grade 5")."""
    if not grade:
        return ""
    if grade.isdigit():
        return _("Grade %(grade)s") % {"grade": grade}
    return GRADE_NAMES.get(grade, grade)


def subject_label(subject: str) -> str:
    """Return Clever's subject value as a teacher would say it; a value Clever adds later, capitalised."""
    return SUBJECT_NAMES.get(subject) or (subject[:1].upper() + subject[1:])
