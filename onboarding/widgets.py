"""Choices written in Python, with the HTML Django's own templates write.

Django renders every <option> and every checkbox through nested template includes: for
the questionnaire's 250 countries and two dozen grades that was the largest cost of a
teacher's first login (about 30 ms of CPU for the page). These write the same markup,
escaped as the templates escape it (Django's `escape` is `html.escape`).
"""

from html import escape

from django import forms
from django.utils.safestring import SafeString, mark_safe


def html_attrs(attrs: dict) -> str:
    """Write attributes as django/forms/widgets/attrs.html does: True bare, False left out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def choice_input(data: dict) -> SafeString:
    """One checkbox or radio button of a BoundWidget's `data`, as django/forms/widgets/input.html writes it."""
    # Safe: every value in it went through escape().
    return mark_safe(  # noqa: S308
        f'<input type="{escape(data["type"])}" name="{escape(data["name"])}" '
        f'value="{escape(str(data["value"]))}"{html_attrs(data["attrs"])}>'
    )


class Select(forms.Select):
    """forms.Select for flat choices (no option groups), its options written in Python."""

    template_name = "onboarding/widgets/select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Safe: every value in it went through escape().
        context["widget"]["options_html"] = mark_safe(  # noqa: S308
            "".join(
                f'\n  <option value="{escape(str(option["value"]))}"{html_attrs(option["attrs"])}>'
                f"{escape(str(option['label']))}</option>"
                for _group, options, _index in context["widget"]["optgroups"]
                for option in options
            )
        )
        return context
