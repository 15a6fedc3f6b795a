"""End to end: a demo sync writes the store and a DEBUG log, and no token the simulator
issued (raw, or inside a Basic auth header) is anywhere in the data folder or the output."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import zen_tui.demo as demo
from zen_tui import paths
from zen_tui.cli import main


def _secret_forms(accounts: list[Any]) -> list[bytes]:
    forms: list[bytes] = []
    for acc in accounts:
        forms.append(acc.token.encode())
        if acc.username:  # Jira: Basic base64(email:token)
            forms.append(base64.b64encode(f"{acc.username}:{acc.token}".encode()))
    return forms


def test_demo_sync_leaves_no_token_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    issued: list[Any] = []
    real = demo.demo_settings

    def capture(accounts: list[Any], data_dir: Path, webhooks: Any = None) -> Any:
        issued.extend(accounts)
        return real(accounts, data_dir, webhooks)

    monkeypatch.setattr(demo, "demo_settings", capture)

    @contextmanager
    def kept_folder(data_dir: Path) -> Iterator[Path]:  # the run's folder, kept to inspect
        (data_dir / "demo").mkdir(parents=True, exist_ok=True)
        yield data_dir / "demo"

    monkeypatch.setattr(demo, "run_folder", kept_folder)
    argv = ["--demo", "--data-dir", str(tmp_path), "--log-level", "DEBUG", "sync", "--once"]
    assert main(argv) == 0
    out, err = capfd.readouterr()

    assert {a.service for a in issued} == {"github", "jira", "slack"}
    secrets = _secret_forms(issued)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    db = paths.store_path(tmp_path / "demo")
    assert db in files and paths.log_file(tmp_path) in files
    with sqlite3.connect(db) as conn:  # the test is only worth something if data was written
        assert conn.execute("SELECT count(*) FROM http_cache").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] > 0
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"a token leaked into {path}"
    for secret in secrets:
        assert secret.decode() not in out + err
