"""The auth package and the auth command stay headless: no Textual, not even indirectly."""

from __future__ import annotations

import subprocess
import sys


def test_auth_never_imports_textual() -> None:
    code = (
        "import sys\n"
        "import zen_tui.commands.auth, zen_tui.auth.login, zen_tui.auth.provider\n"
        "import zen_tui.auth.status\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
