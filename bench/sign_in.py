"""Does the time of a failed sign-in tell whether the name exists? Medians of 20 each way.

Runs the app in-process through Flask's full request stack on a fresh SQLite file, with one
account. Reference in the same run: one bare argon2 verification with the app's parameters.

    .venv/bin/python bench/sign_in.py [--runs 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import CSRF, REDIS_URL, Summary, Table, machine  # noqa: E402


def sign_ins(client, username: str, runs: int) -> Summary:  # noqa: ANN001
    """`runs` failed sign-ins with this name (after one warm-up), each timed around the POST."""
    samples = []
    for i in range(runs + 1):
        match = CSRF.search(client.get("/login").get_data(as_text=True))
        data = {"csrf_token": match.group(1) or match.group(2), "username": username}
        began = time.perf_counter()
        response = client.post("/login", data={**data, "password": "not the password"})
        elapsed = time.perf_counter() - began
        assert response.status_code == 422, response.status_code
        if i:
            samples.append(elapsed)
    return Summary.of(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="swbench-signin-")
    os.environ.update(
        DATABASE_URL=f"sqlite:///{folder}/script_writer.db",
        INSTANCE_PATH=folder,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench",
        RATELIMIT_LOGIN="100000 per minute",
    )
    from argon2 import PasswordHasher
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import DUMMY_HASH, User
    from app.extensions import db

    app = create_app()
    logging.getLogger("app.audit").setLevel(logging.ERROR)  # one line per failed sign-in
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        user = User(username="writer")
        user.set_password("the real password")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    print(machine())
    table = Table(["case", "runs", "p50 ms", "p99 ms", "mean ms"])
    hasher, bare = PasswordHasher(), []
    for _ in range(args.runs):
        began = time.perf_counter()
        try:
            hasher.verify(DUMMY_HASH, "not the password")
        except Exception:  # noqa: BLE001, S110 - a mismatch is the expected outcome
            pass
        bare.append(time.perf_counter() - began)
    reference = Summary.of(bare)
    table.add(
        "reference: one argon2 verification",
        reference.n,
        reference.p50,
        reference.p99,
        reference.mean,
    )
    for case, name in (("known name, wrong password", "writer"), ("unknown name", "nobody")):
        s = sign_ins(client, name, args.runs)
        table.add(case, s.n, s.p50, s.p99, s.mean)
    print(table.render())
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
