"""The triage page's files: ES modules that need no build step, served as JavaScript whatever the
operating system's MIME table says, shipped by a non-editable install, and holding no display name of
their own (every name of a label comes from /v1/labels)."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from pipeline.review import FINDING_NAMES, PENALTIES
from serve.app import STATIC_DIR, create_app
from serve.routes.meta import labels
from serve.settings import Settings
from serve.state import ServiceState

ROOT = Path(__file__).resolve().parents[1]
MODULES = STATIC_DIR / "js"
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s+["'](\./[\w.-]+)["']""", re.MULTILINE | re.DOTALL)


def api_names() -> set[str]:
    body = asyncio.run(labels(ServiceState(Settings(model_path=ROOT / "no-such-model"))))  # the built-in labels
    names = {c.display for c in body.causes} | {r.display for r in body.risks} | {p.display for p in body.priorities}
    for table in (body.groups, body.sentiments, body.confidence, body.findings):
        names |= set(table.values())
    return names


def test_the_page_spells_out_no_name_the_api_gives():
    names = api_names()
    assert len(names) > 40
    for path in [*MODULES.glob("*.js"), STATIC_DIR / "index.html"]:
        source = path.read_text(encoding="utf-8")
        found = sorted(n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", source))
        assert not found, f"{path.name} spells out {found}: show the names /v1/labels gives (js/labels.js)"


def test_one_module_script_loads_every_module_and_none_uses_a_global():
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="/static/js/main.js">']
    seen, todo = set(), ["main.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (MODULES / name).read_text(encoding="utf-8")
        assert not re.search(r"\bwindow\.\w+\s*=(?!=)", source), f"{name} sets a global on window"
        for target in IMPORT.findall(source):
            assert (MODULES / target).is_file(), f"{name} imports {target}, which does not exist"
            todo.append(target.removeprefix("./"))
    assert seen == {p.name for p in MODULES.glob("*.js")}, "every module is reached from main.js"


def test_modules_are_served_as_javascript_even_when_the_system_table_says_text_plain(tmp_path, monkeypatch):
    mimetypes.init()
    monkeypatch.setitem(mimetypes.types_map, ".js", "text/plain")  # what a Windows registry often says
    assert mimetypes.guess_type("main.js")[0] == "text/plain"
    client = TestClient(create_app(Settings(model_path=tmp_path / "no-model", warmup=False)))
    for path in MODULES.glob("*.js"):
        response = client.get(f"/static/js/{path.name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/styles.css").headers["content-type"].startswith("text/css")
    assert client.get("/").headers["content-type"].startswith("text/html")


def test_a_wheel_ships_every_module(tmp_path):
    """A non-editable install serves the page from the installed package, so the wheel must hold it all."""
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pipeline", "serve"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    page = {str(p.relative_to(ROOT)) for p in STATIC_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {f"serve/static/js/{p.name}" for p in MODULES.glob("*.js")} <= page
    assert page <= shipped, sorted(page - shipped)


def test_every_kind_of_review_finding_has_a_name():
    assert set(FINDING_NAMES) == set(PENALTIES) and all(name.strip() for name in FINDING_NAMES.values())
