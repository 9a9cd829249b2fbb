"""The questionnaire's choices, written in Python, are the HTML Django's own widgets write, escaped."""

import re

from django import forms

from onboarding.widgets import Select, choice_input

HOSTILE = '<script>alert("x")</script> & "quoted"'
CHOICES = [("", "Choose…"), ("US", "United States of America"), ("a&b", HOSTILE)]


def without_blank_lines(markup: str) -> str:
    return re.sub(r"\n\s*\n", "\n", str(markup))


def test_the_select_writes_what_djangos_select_writes():
    ours = forms.ChoiceField(choices=CHOICES, widget=Select)
    django = forms.ChoiceField(choices=CHOICES)

    for value in ("", "US", "a&b", None):
        expected = django.widget.render("country", value, attrs={"id": "id_country", "required": True})
        shown = ours.widget.render("country", value, attrs={"id": "id_country", "required": True})
        assert without_blank_lines(shown) == without_blank_lines(expected)


def test_the_select_escapes_labels_and_values():
    shown = Select(choices=CHOICES).render("country", "a&b")

    assert "<script>" not in shown
    assert (
        '<option value="a&amp;b" selected>'
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;</option>" in shown
    )


def test_a_checkbox_is_the_input_djangos_checkbox_writes():
    field = forms.MultipleChoiceField(choices=CHOICES[1:], widget=forms.CheckboxSelectMultiple)
    form = type("GradesForm", (forms.Form,), {"grades": field})(data={"grades": ["a&b"]})

    for widget in form["grades"].subwidgets:
        assert choice_input(widget.data) == widget.tag()
    assert str(choice_input(form["grades"].subwidgets[1].data)) == (
        '<input type="checkbox" name="grades" value="a&amp;b" id="id_grades_1" checked>'
    )
