"""How teachers read Clever's values and a class's teachers, in templates."""

from django import template
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from ..names import person_sort_key

register = template.Library()

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
    """Return Clever's subject value as a teacher would say it; a value Clever adds later, capitalised."""
    return SUBJECT_NAMES.get(subject) or (subject[:1].upper() + subject[1:])


@register.simple_tag
def class_teachers(section, teacher=None) -> list[str]:
    """Return how a class's teachers read: ["You (primary)", "José Núñez"]; [] when `teacher` teaches it alone.

    Primary first, then by name. A co-teacher is named whenever Clever gave us their name (at
    their own login or a sync that read them); otherwise they are one we have not met yet.
    """
    links = getattr(section, "ordered_teachers", None)
    if links is None:
        links = sorted(
            section.section_teachers.all(),
            key=lambda link: (
                not link.is_primary,
                person_sort_key(
                    first_name=link.teacher.first_name, last_name=link.teacher.last_name, tiebreak=link.pk
                ),
            ),
        )
    if teacher is not None and [link.teacher_id for link in links] == [teacher.pk]:
        return []
    several = len(links) > 1
    mentions = []
    for link in links:
        if teacher is not None and link.teacher_id == teacher.pk:
            name = gettext_now("You")
        else:
            name = link.teacher.full_name or gettext_now("A co-teacher not signed in yet")
        if link.is_primary and several:
            name = gettext_now("%(name)s (primary)") % {"name": name}
        mentions.append(name)
    return mentions
