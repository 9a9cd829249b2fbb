# Enrollment.section and SectionTeacher.section lose their own index: the unique
# (section, student) and (section, teacher) indexes begin with section and serve those lookups.
# Only the index is dropped: Django's own AlterField would also drop and re-add (re-validate)
# the foreign key, a long lock on a large enrollments table.

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "rosters_enrollment": "rosters_enrollment_section_id_7d18a9cc",
    "rosters_sectionteacher": "rosters_sectionteacher_section_id_e25f20c7",
}


class Migration(migrations.Migration):
    dependencies = [
        ("rosters", "0006_district_sync"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("section_id")',
                )
                for table, index in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="enrollment",
                    name="section",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="enrollments",
                        to="rosters.section",
                    ),
                ),
                migrations.AlterField(
                    model_name="sectionteacher",
                    name="section",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="section_teachers",
                        to="rosters.section",
                    ),
                ),
            ],
        ),
    ]
