"""Job machinery v2: lease epochs apart from attempts, checkpoints, error codes, honest
progress, several model calls per attempt, and results keyed against repeats

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Notices: jobs that ended, and now also jobs that wait for their owner's answers.
OLD = sa.text("seen_at IS NULL AND finished_at IS NOT NULL")
NEW = sa.text("seen_at IS NULL AND (finished_at IS NOT NULL OR status = 'needs_input')")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_params", JSON, nullable=True))
        batch_op.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("lease_epoch", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("checkpoint", JSON, nullable=True))
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.drop_index("ix_transforms_unseen", sqlite_where=OLD, postgresql_where=OLD)
        batch_op.create_index(
            "ix_transforms_unseen", ["created_by"], sqlite_where=NEW, postgresql_where=NEW
        )
    # Until now the attempt was the fencing token too.
    op.execute("UPDATE transforms SET lease_epoch = attempt")
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.alter_column("lease_epoch", server_default=None)

    for table in ("llm_prompts", "llm_transforms"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("call", sa.Integer(), nullable=False, server_default="1"))
            batch_op.drop_constraint(f"uq_{table}_transform_id_attempt", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_transform_id_attempt_call", ["transform_id", "attempt", "call"]
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("call", server_default=None)
    with op.batch_alter_table("llm_transforms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("first_token_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_seq", sa.Integer(), nullable=True))

    with op.batch_alter_table("transform_outputs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            "uq_transform_outputs_transform_id_key", ["transform_id", "key"]
        )


def downgrade():
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.drop_index("ix_transforms_unseen", sqlite_where=NEW, postgresql_where=NEW)
        batch_op.create_index(
            "ix_transforms_unseen", ["created_by"], sqlite_where=OLD, postgresql_where=OLD
        )
    with op.batch_alter_table("transform_outputs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_transform_outputs_transform_id_key", type_="unique")
        batch_op.drop_column("key")
    with op.batch_alter_table("llm_transforms", schema=None) as batch_op:
        batch_op.drop_column("first_seq")
        batch_op.drop_column("first_token_at")
        batch_op.drop_column("response_id")
    for table in ("llm_prompts", "llm_transforms"):
        # Only the first call of each attempt fits the older shape.
        op.execute(f"DELETE FROM {table} WHERE call > 1")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_transform_id_attempt_call", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_transform_id_attempt", ["transform_id", "attempt"]
            )
            batch_op.drop_column("call")
    with op.batch_alter_table("transforms", schema=None) as batch_op:
        batch_op.drop_column("checkpoint")
        batch_op.drop_column("lease_epoch")
        batch_op.drop_column("error_code")
        batch_op.drop_column("progress_total")
        batch_op.drop_column("progress_done")
        batch_op.drop_column("progress_params")
