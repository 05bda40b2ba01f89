"""emission lots

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 15:15:23.454485
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emissions_lots",
        sa.Column("flux", sa.String(length=40), nullable=False),
        sa.Column("nuit", sa.Date(), nullable=False),
        sa.Column("lignes", sa.Integer(), nullable=False),
        sa.Column("jeton", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("flux", "nuit", name=op.f("pk_emissions_lots")),
    )
    # Emissions already written are complete (each night's rows of a flow are inserted in
    # one transaction): their lots are signed with one common token.
    op.execute(
        "INSERT INTO emissions_lots (flux, nuit, lignes, jeton) "
        "SELECT flux, nuit, count(*), 'migration-0002' FROM emissions GROUP BY flux, nuit"
    )


def downgrade() -> None:
    op.drop_table("emissions_lots")
