"""The diagnostics read jobs by when they ended and model calls by when they started, over
the last hour and day: indexes on those times

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 02:30:00

"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.create_index("ix_transforms_finished_at", ["finished_at"], unique=False)
    with op.batch_alter_table("llm_transforms", schema=None) as batch_op:
        batch_op.create_index("ix_llm_transforms_started_at", ["started_at"], unique=False)


def downgrade():
    with op.batch_alter_table("llm_transforms", schema=None) as batch_op:
        batch_op.drop_index("ix_llm_transforms_started_at")
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.drop_index("ix_transforms_finished_at")
