"""Script Writer: write short-video dramas with an LLM, one durable job at a time."""

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application from the environment, then the test overrides."""
    from app import config

    app = Flask(
        __name__,
        instance_path=config.instance_path(),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
        if "DATABASE_URL" in test_config:
            app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(
                test_config["DATABASE_URL"], app.instance_path
            )
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].update(
        pool_pre_ping=True,
        pool_size=app.config["DB_POOL_SIZE"],
        max_overflow=0,
        pool_timeout=app.config["DB_POOL_TIMEOUT"],
    )
    from app import web

    web.init_app(app)
    return app
