"""Framework versions: the version a framework was created from, and the links between the outcomes
of two versions (national reference data, so reference row-level security)."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenants.rls import EnableRowSecurity


class Migration(migrations.Migration):

    dependencies = [
        ('curriculum', '0002_integrity_and_row_level_security'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='framework',
            name='previous_version',
            field=models.ForeignKey(blank=True, editable=False, help_text='The version this one was created from (curriculum/versions.py).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='next_versions', to='curriculum.framework', verbose_name='previous version'),
        ),
        migrations.CreateModel(
            name='OutcomeVersionLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('same_code', 'same code'), ('similar_text', 'similar text')], max_length=20, verbose_name='kind')),
                ('similarity', models.DecimalField(decimal_places=3, max_digits=4, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(1)], verbose_name='text similarity')),
                ('status', models.CharField(choices=[('proposed', 'proposed'), ('accepted', 'accepted'), ('rejected', 'rejected')], default='proposed', max_length=20, verbose_name='status')),
                ('decided_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='decided at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('decided_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('new_outcome', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_from_older', to='curriculum.learningoutcome', verbose_name='new outcome')),
                ('old_outcome', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_to_newer', to='curriculum.learningoutcome', verbose_name='old outcome')),
            ],
            options={
                'verbose_name': 'outcome version link',
                'verbose_name_plural': 'outcome version links',
                'db_table': 'outcome_version_links',
                'ordering': ['new_outcome_id', 'old_outcome_id'],
                'indexes': [models.Index(fields=['new_outcome'], name='outcome_links_new_idx')],
                'constraints': [models.UniqueConstraint(fields=('old_outcome', 'new_outcome'), name='outcome_version_links_unique', violation_error_message='These two outcomes are already linked.'), models.CheckConstraint(condition=models.Q(('similarity__gte', 0), ('similarity__lte', 1)), name='outcome_version_links_similarity_range'), models.CheckConstraint(condition=models.Q(('kind__in', ['same_code', 'similar_text'])), name='outcome_version_links_kind_valid'), models.CheckConstraint(condition=models.Q(('status__in', ['proposed', 'accepted', 'rejected'])), name='outcome_version_links_status_valid')],
            },
        ),
        EnableRowSecurity(
            table="outcome_version_links",
            kind="reference",
            policies={
                "outcome_version_links_read_all": """CREATE POLICY "outcome_version_links_read_all" ON "outcome_version_links" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "outcome_version_links_super_admin_all": """CREATE POLICY "outcome_version_links_super_admin_all" ON "outcome_version_links" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
    ]
