"""A job's error is a message key with parameters, translated when shown (like its progress)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "error_params",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.drop_column("error_params")
