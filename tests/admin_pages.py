"""Read admin pages as staff see them: a change list's columns and rows, a change page's sections."""

import re

from django.contrib.admin.templatetags.admin_list import result_headers, results
from django.utils.html import strip_tags
from django.utils.text import capfirst

# A boolean column shows an icon; read it by its alternative text.
_BOOLEAN_ICON = re.compile(r'<img [^>]*alt="(True|False|None)"[^>]*>')


def changelist_columns(response) -> list[str]:
    """Return the list's column titles, the select-all checkbox left out."""
    headers = result_headers(response.context["cl"])
    return [capfirst(str(header["text"])) for header in headers if "action-toggle" not in str(header["text"])]


def changelist_rows(response) -> list[list[str]]:
    """Return each row's cells as text (a boolean as "True"/"False"), the row's checkbox left out."""
    rows = []
    for row in results(response.context["cl"]):
        cells = [cell for cell in row if "action-checkbox" not in cell]
        rows.append([strip_tags(_BOOLEAN_ICON.sub(r"\1", cell)).strip() for cell in cells])
    return rows


def change_page_sections(response) -> list[tuple[str, bool]]:
    """Return a change page's sections (fieldsets) in order: each name, and whether it starts collapsed."""
    return [(str(fieldset.name or ""), fieldset.is_collapsible) for fieldset in response.context["adminform"]]


def change_page_values(response) -> dict[str, str]:
    """Return the read-only fields of a change page as staff read them: label ("Clever ID") -> text."""
    values = {}
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            for field in line:
                if field.is_readonly:
                    values[capfirst(str(field.field["label"]))] = strip_tags(field.contents()).strip()
    return values
