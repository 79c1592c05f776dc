"""Every setting is documented in the README, and read the way it says."""

from support import ROOT

from app.config import SETTINGS, database_url, from_environment


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in SETTINGS if f"`{name}`" not in readme]
    assert missing == []


def test_paas_database_urls_use_psycopg3():
    assert database_url("postgres://u:p@h/db", "/x") == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgresql://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_url(None, "/inst").startswith("sqlite:////inst/")


def test_settings_are_typed(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKERS", "3")
    monkeypatch.setenv("SECURE_COOKIES", "yes")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = from_environment(str(tmp_path))
    assert config["WORKERS"] == 3 and config["SESSION_COOKIE_SECURE"] is True
    assert len(config["SECRET_KEY"]) == 64
    assert from_environment(str(tmp_path))["SECRET_KEY"] == config["SECRET_KEY"]


def test_an_exhausted_pool_answers_503_with_retry_after(app, make_user, monkeypatch):
    from app import create_app
    from app.extensions import db

    account = make_user()
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.3")
    tight = create_app({"TESTING": True})
    with tight.app_context():
        held = db.engine.connect()  # the only connection
        try:
            response = tight.test_client().get("/api/jobs", headers=account.bearer)
        finally:
            held.close()
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert "busy" in response.json["error"]
        assert tight.test_client().get("/api/jobs", headers=account.bearer).status_code == 200
        db.session.remove()  # requests here shared this context's session
        db.engine.dispose()
