"""The layer contracts in pyproject.toml ([tool.importlinter]) hold for this tree.

`make lint` runs `lint-imports` too; running it here means a plain `pytest` also catches an
import that crosses a layer (a service importing sync, Textual below the UI, the simulator
importing the client, a headless command loading Textual, a command importing the CLI,
zen-tui importing typing_extensions).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept() -> None:
    pytest.importorskip("importlinter", reason="import-linter is in the dev extra")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command as c; c()",
            "--no-cache",
            "--no-logo",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "6 kept, 0 broken" in run.stdout
