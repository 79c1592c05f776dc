"""The Jobs list walks each of the reader's projects newest first: the project's index carries
the creation time, so a page stops after its rows instead of sorting every job

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 01:50:00

"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transforms_project_created", ["project_id", "created_at", "id"], unique=False
        )
        batch_op.drop_index("ix_transforms_project_id")


def downgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.create_index("ix_transforms_project_id", ["project_id"], unique=False)
        batch_op.drop_index("ix_transforms_project_created")
