"""How teachers read Clever's values and a class's teachers, in templates."""

from django import template
from django.utils.translation import gettext as gettext_now

from ..labels import grade_label, subject_label
from ..names import person_sort_key

register = template.Library()

register.filter("grade_label", grade_label)
register.filter("subject_label", subject_label)


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
