"""Artifacts a person edits form a line of versions; an idea can be starred

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("origin_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revises_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("starred", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(
            "fk_artifacts_origin_id_artifacts", "artifacts", ["origin_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_artifacts_revises_id_artifacts", "artifacts", ["revises_id"], ["id"]
        )
        batch_op.create_index("ix_artifacts_origin_id", ["origin_id"])
        batch_op.create_unique_constraint("uq_artifacts_revises_id", ["revises_id"])
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)
        batch_op.alter_column("starred", server_default=None)


def downgrade():
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_artifacts_revises_id", type_="unique")
        batch_op.drop_index("ix_artifacts_origin_id")
        batch_op.drop_constraint("fk_artifacts_revises_id_artifacts", type_="foreignkey")
        batch_op.drop_constraint("fk_artifacts_origin_id_artifacts", type_="foreignkey")
        batch_op.drop_column("starred")
        batch_op.drop_column("revises_id")
        batch_op.drop_column("origin_id")
        batch_op.drop_column("version")
