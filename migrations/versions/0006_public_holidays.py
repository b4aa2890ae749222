"""closed days from a maintained library: facilities.public_holidays, closed_days as entries

``closed_days`` held plain ISO dates ("2026-12-24"); it now holds entries:
{"holiday": "Julafton"}, {"day": "2026-12-24"} or {"from": ..., "to": ..., "name": ...}.
The upgrade turns each plain date into {"day": ...}. The downgrade turns entries back into
plain dates: a period into its days, and the public and named holidays into their dates from
this year through the next four (the old form cannot say "every year").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:00:00

"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

facilities = sa.table(
    "facilities",
    sa.column("id", sa.Integer()),
    sa.column("closed_days", sa.JSON()),
    sa.column("public_holidays", sa.String(length=16)),
)


def upgrade():
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_holidays", sa.String(length=16), nullable=True))

    connection = op.get_bind()
    for row in connection.execute(sa.select(facilities.c.id, facilities.c.closed_days)).all():
        entries = [{"day": entry} if isinstance(entry, str) else entry for entry in row.closed_days or []]
        connection.execute(facilities.update().where(facilities.c.id == row.id).values(closed_days=entries))


def downgrade():
    connection = op.get_bind()
    for row in connection.execute(
        sa.select(facilities.c.id, facilities.c.closed_days, facilities.c.public_holidays)
    ).all():
        days = sorted(set(_plain_dates(row.public_holidays, row.closed_days or [])))
        connection.execute(facilities.update().where(facilities.c.id == row.id).values(closed_days=days))

    if connection.dialect.name == "sqlite":
        # SQLite (3.35 and later) drops the column in place: batch mode would copy the table, which
        # the foreign keys of resources, feeds and sources refuse (the app turns them on).
        op.execute("ALTER TABLE facilities DROP COLUMN public_holidays")
    else:
        op.drop_column("facilities", "public_holidays")


def _plain_dates(region, entries):
    named = [entry["holiday"] for entry in entries if isinstance(entry, dict) and "holiday" in entry]
    for entry in entries:
        if isinstance(entry, str):
            yield entry
        elif "day" in entry:
            yield entry["day"]
        elif "from" in entry:
            day, last = date.fromisoformat(entry["from"]), date.fromisoformat(entry["to"])
            while day <= last:
                yield day.isoformat()
                day += timedelta(days=1)
    if region:
        import holidays

        country, _, subdivision = region.partition("-")
        years = range(date.today().year, date.today().year + 5)
        kind = holidays.country_holidays(country)
        # Holidays are named in the country's own language, as the entries name them.
        public = holidays.country_holidays(
            country, subdiv=subdivision or None, years=years, language=kind.default_language
        )
        yield from (day.isoformat() for day in public)
        if named:
            every = holidays.country_holidays(
                country,
                subdiv=subdivision or None,
                years=years,
                categories=kind.supported_categories,
                language=kind.default_language,
            )
            yield from (day.isoformat() for day in every if set(every.get_list(day)) & set(named))
