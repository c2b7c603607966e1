"""Counts of tasks kept as they change, and indexes for pages of tasks in predicted order."""

from django.db import migrations, models


# --- the triggers that keep tasks_tasktally (PostgreSQL only) ----------------------
#
# A task counts once under (org, status, unplanned, its vehicle's archived flag,
# the local day of its predicted end). Every statement that writes tasks adds
# its rows' new keys and takes away their old ones, netted per key, so an update
# that moves nothing (a comment, a touched timestamp) adds nothing. Statement
# triggers with transition tables keep that set-based: one INSERT per statement,
# however many rows it changed. Deltas are only ever inserted, never updated,
# so concurrent writers never wait for each other on a shared counter row.

KEY = """t.org_id, t.status, t.unplanned, COALESCE(v.archived, false),
    (t.predicted_end_date AT TIME ZONE o.time_zone)::date"""


def _counts(rows: str, sign: str) -> str:
    return f"""SELECT {KEY}, {sign} * count(*)
        FROM {rows} t
        JOIN accounts_organization o ON o.id = t.org_id
        LEFT JOIN vehicles_vehicle v ON v.id = t.vehicle_id
        GROUP BY 1, 2, 3, 4, 5"""


INSERT = "INSERT INTO tasks_tasktally (org_id, status, unplanned, archived, day, n)"

INSTALL = f"""
CREATE FUNCTION tasks_tally_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {INSERT} {_counts("new_rows", "1")};
    ELSIF TG_OP = 'DELETE' THEN
        {INSERT} {_counts("old_rows", "-1")};
    ELSE
        {INSERT}
        SELECT k.org_id, k.status, k.unplanned, k.archived, k.day, sum(k.n)
        FROM ({_counts("new_rows", "1")} UNION ALL {_counts("old_rows", "-1")})
            AS k (org_id, status, unplanned, archived, day, n)
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(k.n) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_tally_insert AFTER INSERT ON tasks_servicetask
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_tasks();
CREATE TRIGGER tasks_tally_update AFTER UPDATE ON tasks_servicetask
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_tasks();
CREATE TRIGGER tasks_tally_delete AFTER DELETE ON tasks_servicetask
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_tasks();

CREATE FUNCTION tasks_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tasks_tasktally;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_tally_truncate AFTER TRUNCATE ON tasks_servicetask
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_truncate();

-- Archiving a vehicle moves its tasks from one archived flag to the other.
CREATE FUNCTION tasks_tally_vehicle_archived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {INSERT}
    SELECT t.org_id, t.status, t.unplanned, a.archived,
        (t.predicted_end_date AT TIME ZONE o.time_zone)::date, a.sign * count(*)
    FROM tasks_servicetask t
    JOIN accounts_organization o ON o.id = t.org_id
    CROSS JOIN (VALUES (OLD.archived, -1), (NEW.archived, 1)) AS a (archived, sign)
    WHERE t.vehicle_id = NEW.id
    GROUP BY 1, 2, 3, 4, 5, a.sign;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_tally_vehicle_archived AFTER UPDATE OF archived ON vehicles_vehicle
    FOR EACH ROW WHEN (OLD.archived IS DISTINCT FROM NEW.archived)
    EXECUTE FUNCTION tasks_tally_vehicle_archived();

-- A new time zone moves every day of the organization's tasks: count them again.
-- Task writes wait meanwhile, so that no delta is counted twice or lost.
CREATE FUNCTION tasks_tally_org_time_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE tasks_servicetask IN SHARE MODE;
    DELETE FROM tasks_tasktally WHERE org_id = NEW.id;
    {INSERT} {_counts("(SELECT * FROM tasks_servicetask WHERE org_id = NEW.id)", "1")};
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_tally_org_time_zone AFTER UPDATE OF time_zone ON accounts_organization
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
    EXECUTE FUNCTION tasks_tally_org_time_zone();

-- The tasks that exist already.
DELETE FROM tasks_tasktally;
{INSERT} {_counts("tasks_servicetask", "1")};
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS tasks_tally_org_time_zone ON accounts_organization;
DROP TRIGGER IF EXISTS tasks_tally_vehicle_archived ON vehicles_vehicle;
DROP TRIGGER IF EXISTS tasks_tally_truncate ON tasks_servicetask;
DROP TRIGGER IF EXISTS tasks_tally_delete ON tasks_servicetask;
DROP TRIGGER IF EXISTS tasks_tally_update ON tasks_servicetask;
DROP TRIGGER IF EXISTS tasks_tally_insert ON tasks_servicetask;
DROP FUNCTION IF EXISTS tasks_tally_org_time_zone();
DROP FUNCTION IF EXISTS tasks_tally_vehicle_archived();
DROP FUNCTION IF EXISTS tasks_tally_truncate();
DROP FUNCTION IF EXISTS tasks_tally_tasks();
"""


def install_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def uninstall_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_organization_calendar_token'),
        ('tasks', '0002_task_next_threshold_indexes'),
        ('vehicles', '0004_vehicle_fillfactor'),
    ]

    operations = [
        migrations.CreateModel(
            name='TaskTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('org_id', models.BigIntegerField()),
                ('status', models.CharField(choices=[('created', 'Created'), ('notified', 'Due soon'), ('expired', 'Expired'), ('done', 'Done')], max_length=16)),
                ('unplanned', models.BooleanField()),
                ('archived', models.BooleanField()),
                ('day', models.DateField(null=True)),
                ('n', models.IntegerField()),
            ],
        ),
        migrations.RemoveIndex(
            model_name='servicetask',
            name='tasks_servi_org_id_4802ab_idx',
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(fields=['org', 'status', 'predicted_end_date', 'id'], name='task_org_status_due_idx'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(condition=models.Q(('status__in', ['created', 'notified', 'expired'])), fields=['org', 'predicted_end_date', 'id'], name='task_open_due_idx'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(fields=['org', 'predicted_end_date', 'id'], name='task_org_due_idx'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(fields=['org', 'id'], name='task_org_id_idx'),
        ),
        migrations.AddIndex(
            model_name='tasktally',
            index=models.Index(fields=['org_id', 'day'], name='task_tally_org_day_idx'),
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
