"""A `gh` on PATH for tests: a small script that prints a token made at run time."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import pytest

from zen_tui.auth import ambient


def fake_token(label: str) -> str:
    return f"test-{label}-{secrets.token_hex(6)}"  # built at run time: never a real-looking literal


@pytest.fixture
def gh_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install a `gh` on PATH that prints a token for one host and records its arguments."""

    def install(token: str | None, *, host: str = "github.com", sleep: float = 0) -> Path:
        log = tmp_path / "gh-args"
        body = f'echo "$@" >> "{log}"\n'
        if sleep:
            body += f"exec sleep {sleep}\n"  # one process, as gh is: the kill ends it
        if token is None:
            body += 'echo "not logged in" >&2; exit 1\n'
        else:
            body += f'[ "$4" = "{host}" ] || exit 1\necho "{token}"\n'
        script = tmp_path / "gh"
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
        monkeypatch.setattr(ambient, "GH_COMMAND", "gh")
        return log

    return install
