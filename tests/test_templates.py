"""Every template compiles: a syntax error in a block that only some pages reach (a kind's
results, an export) fails here, not in front of a writer."""

from flask import Flask


def test_every_template_compiles(app: Flask) -> None:
    names = [n for n in app.jinja_env.list_templates() if n.endswith((".html", ".svg"))]
    assert "scripts/series.html" in names and len(names) > 40
    for name in names:
        app.jinja_env.get_template(name)
