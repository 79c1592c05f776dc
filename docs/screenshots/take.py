"""Take the screenshots in this folder again: `.venv/bin/python docs/screenshots/take.py [en zh]`.

They are made by tests/test_screenshots.py (a browser test with its own database, Redis,
model and server), at 390 px and 1280 px, named `<language>-<width>-<page>.png`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

if __name__ == "__main__":
    languages = ",".join(sys.argv[1:]) or "en"
    env = {**os.environ, "SCREENSHOTS": "1", "SCREENSHOT_LANGUAGES": languages}
    env.setdefault("REQUIRE_BROWSER", "1")
    test = [sys.executable, "-m", "pytest", "-q", "-m", "slow and browser"]
    sys.exit(subprocess.call([*test, "tests/test_screenshots.py"], cwd=ROOT, env=env))
