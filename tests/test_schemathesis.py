"""Property-based fuzzing of the whole OpenAPI schema with schemathesis: no input may cause a 500.

Slow (it sends thousands of generated requests), so it runs in `make test-all`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import LiveServer

from pipeline.analyzer import Analyzer
from serve.settings import Settings

pytestmark = pytest.mark.slow


def test_no_generated_request_gets_a_server_error(tiny_model, tmp_path):
    cli = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if not Path(cli).exists():
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'")
    settings = Settings(model_path=tiny_model, device="cpu", max_wait_ms=2, max_text_chars=2000, max_items=8)
    with LiveServer(settings, Analyzer.load(tiny_model, device="cpu")) as live:
        result = subprocess.run(
            [
                cli,
                "run",
                f"{live.url}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "40",
                "--workers",
                "1",
                "--report-dir",
                str(tmp_path),
            ],
            cwd=tmp_path,  # schemathesis keeps its example database in the working directory
            capture_output=True,
            text=True,
            timeout=1200,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
