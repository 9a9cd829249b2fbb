"""The default questions. Staff edit, reorder, deactivate or add to them in the admin.

The choice lists are Clever's own `subject` and `grade` values (the v2.1 grade list, the
fuller one), so the teacher's synced sections prefill them. They are written out here
rather than imported so this migration never changes after it has run.
"""

from django.db import migrations

SUBJECTS = """\
english/language arts | English / language arts
math | Math
science | Science
social studies | Social studies
language | World languages
homeroom/advisory | Homeroom / advisory
interventions/online learning | Interventions / online learning
technology and engineering | Technology and engineering
PE and health | PE and health
arts and music | Arts and music
other | Other"""

GRADES = "\n".join(
    [
        "InfantToddler | Infant / toddler",
        "Preschool | Preschool",
        "PreKindergarten | Pre-K",
        "TransitionalKindergarten | Transitional kindergarten",
        "Kindergarten | Kindergarten",
        *(f"{grade} | Grade {grade}" for grade in range(1, 14)),
        "PostGraduate | Postgraduate",
        "Ungraded | Ungraded",
        "Other | Other",
    ]
)

# Email is required for everyone: it is how we reach a teacher, and Clever may not have one
# (the field is then empty and they type it). School and country are relaxed for Library
# teachers, whose school Clever does not share with us; so are subjects and grades, since a
# Library teacher may have no synced classes yet.
DEFAULTS = [
    {
        "label": "Email",
        "help_text": "Where we can reach you about your account.",
        "kind": "email",
        "prefill": "email",
        "order": 10,
        "required_for_district": True,
        "required_for_library": True,
    },
    {
        "label": "School",
        "help_text": "The school where you teach.",
        "kind": "short_text",
        "prefill": "school",
        "order": 20,
        "required_for_district": True,
        "required_for_library": False,
    },
    {
        "label": "Subjects you teach",
        "help_text": "Choose all that apply.",
        "kind": "multiple_choice",
        "choices": SUBJECTS,
        "prefill": "subjects",
        "order": 30,
        "required_for_district": True,
        "required_for_library": False,
    },
    {
        "label": "Grades you teach",
        "help_text": "Choose all that apply.",
        "kind": "multiple_choice",
        "choices": GRADES,
        "prefill": "grades",
        "order": 40,
        "required_for_district": True,
        "required_for_library": False,
    },
    {
        "label": "Country",
        "help_text": "",
        "kind": "country",
        "prefill": "country",
        "order": 50,
        "required_for_district": True,
        "required_for_library": False,
    },
]


def add_defaults(apps, schema_editor):
    Question = apps.get_model("onboarding", "Question")
    for fields in DEFAULTS:
        Question.objects.create(**fields)


def remove_defaults(apps, schema_editor):
    Question = apps.get_model("onboarding", "Question")
    for fields in DEFAULTS:
        Question.objects.filter(label=fields["label"], prefill=fields["prefill"], answers__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_defaults, remove_defaults),
    ]
