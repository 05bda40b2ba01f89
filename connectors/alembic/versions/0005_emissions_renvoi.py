"""emissions renvoi: the records re-sent because a stock showed them lacking (R5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("renvoi", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("emissions", schema=None) as batch_op:
        batch_op.drop_column("renvoi")
