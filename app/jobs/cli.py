"""Operator commands for jobs: flask --app app jobs sweep | compact."""

import time
from datetime import timedelta

import click
from flask.cli import AppGroup

from app.jobs.sweeper import compact, sweep

jobs = AppGroup("jobs", help="Run the job sweeper by hand.")


@jobs.command("sweep")
@click.option("--forever", is_flag=True, help="Keep sweeping every SWEEP_SECONDS.")
def sweep_command(forever: bool) -> None:
    """Retry or fail lost jobs, enqueue due retries, compact old chunks."""
    from flask import current_app

    while True:
        click.echo(sweep() or "another sweeper holds the lock")
        if not forever:
            return
        time.sleep(current_app.config["SWEEP_SECONDS"])


@jobs.command("compact")
@click.option("--hours", type=float, default=None, help="Age of finished jobs to compact.")
def compact_command(hours: float | None) -> None:
    """Fold finished jobs' chunks into their raw responses."""
    age = None if hours is None else timedelta(hours=hours)
    click.echo(f"compacted {compact(age)} jobs")
