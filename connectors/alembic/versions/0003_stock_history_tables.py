"""stock history tables: h_gide_stock, h_p3_stock, h_dude_stock (the three stock flows)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 23:05:01.406402
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "h_dude_stock",
        sa.Column("fichier_id", sa.Integer(), nullable=False),
        sa.Column("ligne", sa.Integer(), nullable=False),
        sa.Column("id_affectation", sa.Text(), nullable=True),
        sa.Column("id_de", sa.Text(), nullable=True),
        sa.Column("code_ml", sa.Text(), nullable=True),
        sa.Column("date_acceptation", sa.Date(), nullable=True),
        sa.Column("phase", sa.Text(), nullable=True),
        sa.Column("etat", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fichier_id"], ["fichiers.id"], name=op.f("fk_h_dude_stock_fichier_id_fichiers")
        ),
    )
    with op.batch_alter_table("h_dude_stock", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_h_dude_stock_fichier_id"), ["fichier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_h_dude_stock_id_affectation"), ["id_affectation"], unique=False
        )

    op.create_table(
        "h_gide_stock",
        sa.Column("fichier_id", sa.Integer(), nullable=False),
        sa.Column("ligne", sa.Integer(), nullable=False),
        sa.Column("id_affectation", sa.Text(), nullable=True),
        sa.Column("id_de", sa.Text(), nullable=True),
        sa.Column("code_ml", sa.Text(), nullable=True),
        sa.Column("date_affectation", sa.Date(), nullable=True),
        sa.Column("date_initialisation", sa.Date(), nullable=True),
        sa.Column("statut", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fichier_id"], ["fichiers.id"], name=op.f("fk_h_gide_stock_fichier_id_fichiers")
        ),
    )
    with op.batch_alter_table("h_gide_stock", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_h_gide_stock_fichier_id"), ["fichier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_h_gide_stock_id_affectation"), ["id_affectation"], unique=False
        )

    op.create_table(
        "h_p3_stock",
        sa.Column("fichier_id", sa.Integer(), nullable=False),
        sa.Column("ligne", sa.Integer(), nullable=False),
        sa.Column("id_affectation", sa.Text(), nullable=True),
        sa.Column("id_de", sa.Text(), nullable=True),
        sa.Column("code_ml", sa.Text(), nullable=True),
        sa.Column("date_affectation", sa.Date(), nullable=True),
        sa.Column("date_initialisation", sa.Date(), nullable=True),
        sa.Column("statut", sa.Text(), nullable=True),
        sa.Column("alerte_en_cours", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fichier_id"], ["fichiers.id"], name=op.f("fk_h_p3_stock_fichier_id_fichiers")
        ),
    )
    with op.batch_alter_table("h_p3_stock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_h_p3_stock_fichier_id"), ["fichier_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_h_p3_stock_id_affectation"), ["id_affectation"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("h_p3_stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_h_p3_stock_id_affectation"))
        batch_op.drop_index(batch_op.f("ix_h_p3_stock_fichier_id"))

    op.drop_table("h_p3_stock")
    with op.batch_alter_table("h_gide_stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_h_gide_stock_id_affectation"))
        batch_op.drop_index(batch_op.f("ix_h_gide_stock_fichier_id"))

    op.drop_table("h_gide_stock")
    with op.batch_alter_table("h_dude_stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_h_dude_stock_id_affectation"))
        batch_op.drop_index(batch_op.f("ix_h_dude_stock_fichier_id"))

    op.drop_table("h_dude_stock")
