"""Headless commands load only what they use: no Textual, Rich, Click, Pygments, httpx or
Starlette for `--help`, `list --json`, `health`, `outbox` and a refused `act`.

Each runs in a fresh interpreter (a module imported by another test would hide a regression),
through the real `main`, and reports what `sys.modules` holds when it returns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("textual", "rich", "click", "pygments", "httpx", "starlette", "uvicorn")
CONFIG = '[[accounts]]\nname = "gh"\nservice = "github"\n'
PROBE = """
import json, sys
from zen_tui.cli import main
code = main(sys.argv[1:])
heavy = sorted(n for n in {heavy!r} if n in sys.modules)
print("\\n" + json.dumps({{"code": code, "heavy": heavy}}))
"""


def headless_env(tmp_path: Path) -> dict[str, str]:
    """This environment without ZEN_TUI_*, pointing at a one-account config under tmp_path."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEN_TUI_")}
    return env | {"ZEN_TUI_CONFIG": str(config), "ZEN_TUI_DATA_DIR": str(tmp_path / "data")}


def loaded_late(setup: str, late: tuple[str, ...]) -> list[str]:
    """Run `setup` in a fresh interpreter: the modules of `late` it left loaded."""
    report = f"late = {late!r}\nprint(json.dumps(sorted(n for n in late if n in sys.modules)))\n"
    probe = "import json, sys\n" + setup + report
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def demo_setup(tmp_path: Path, services: tuple[str, ...]) -> str:
    """Probe code that makes `settings`: demo settings for accounts of `services` (loopback
    base URLs where nothing listens), and imports SyncEngine and build."""
    return (
        "from pathlib import Path\n"
        "from types import SimpleNamespace as Sim\n"
        "from zen_tui.demo import demo_settings\n"
        "from zen_tui.sync.engine import SyncEngine\n"
        "from zen_tui.wiring import build\n"
        "sims = [Sim(service=s, name=s, base_url='http://127.0.0.1:9', token='t', username='me')\n"
        f"        for s in {services!r}]\n"
        f"settings = demo_settings(sims, Path({str(tmp_path)!r}))\n"
    )


COMMANDS = {
    "help": ["--help"],
    "list": ["list", "prs", "--json"],
    "health": ["health"],
    "outbox": ["outbox", "list"],
    "act refused": ["act", "approve", "gh:not-an-item-id"],
}


@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_headless_command_imports_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    env = headless_env(tmp_path)
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, 2), done.stderr  # 2: the refused act
    assert report["heavy"] == [], f"{argv} imported {report['heavy']}"


# What each command does not need, beyond HEAVY: the modules a script would wait for.
UNUSED = {
    "help": ("zen_tui.config", "zen_tui.store", "zen_tui.models", "logging", "sqlite3"),
    # Not `uuid` itself: msgspec (the records) imports it; the modules that use it are named.
    "list": (
        "zen_tui.gateway.errors",
        "zen_tui.sync.engine",
        "zen_tui.sync.outbox",
        "zen_tui.store.leases",
        "asyncio",
    ),
    "act refused": ("zen_tui.sync.engine", "zen_tui.wiring", "zen_tui.gateway.gateway"),
}
UNUSED_PROBE = """
import json, sys
from zen_tui.cli import main
code = main(sys.argv[2:])
print("\\n" + json.dumps(sorted(n for n in json.loads(sys.argv[1]) if n in sys.modules)))
"""


@pytest.mark.parametrize("name", sorted(UNUSED))
def test_headless_command_loads_only_what_it_uses(tmp_path: Path, name: str) -> None:
    env = headless_env(tmp_path)
    argv = [sys.executable, "-c", UNUSED_PROBE, json.dumps(UNUSED[name]), *COMMANDS[name]]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [], done.stderr


def test_gateway_package_names_resolve_lazily() -> None:
    """The gateway package loads its names on first use; every exported name resolves."""
    import zen_tui.gateway as gateway

    for name in gateway.__all__:
        assert getattr(gateway, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = gateway.Nope


def test_the_dashboard_app_loads_without_the_login_stack() -> None:
    """Importing the app (what the first paint needs) leaves the login flows, the keyring and
    httpx unloaded: they load when the login screen opens."""
    assert loaded_late("import zen_tui.ui.app\n", ("zen_tui.auth.login", "keyring", "httpx")) == []


def test_the_engine_is_built_without_the_keyring_until_a_token_is_needed(tmp_path: Path) -> None:
    """GitHub and Slack accounts with no token (keyring logins): building the engine, what
    runs before the first paint, loads neither the keyring nor the login stack."""
    setup = demo_setup(tmp_path, ("github", "slack")) + (
        "from msgspec.structs import replace\n"
        "keyring_only = [replace(a, token=None) for a in settings.accounts]\n"
        "settings = replace(settings, accounts=keyring_only)\n"
        "engine = SyncEngine(build(settings))\n"
        "assert engine.wired.gateways and all(not a.token for a in settings.accounts)\n"
    )
    late = ("keyring", "zen_tui.auth.provider", "zen_tui.auth.keyring_store")
    assert loaded_late(setup, late) == []


def test_the_engine_and_the_app_are_built_without_httpx_until_the_first_request(
    tmp_path: Path,
) -> None:
    """What runs before the dashboard's first paint (build the engine, import the app) loads
    no httpx, no HTTP client module, no pybreaker (nor the tornado it pulls in) and none of
    the screens the first paint does not show; the first request loads them."""
    setup = demo_setup(tmp_path, ("github", "jira", "slack"))
    setup += "import zen_tui.ui.app\nengine = SyncEngine(build(settings))\n"
    late = (
        "httpx",
        "zen_tui.gateway.transport",
        "pybreaker",
        "tornado",
        "zen_tui.ui.screens.modals",
        "zen_tui.ui.screens.health",
        "textual.widgets._text_area",
    )
    assert loaded_late(setup, late) == []


def test_httpx_loads_without_its_command_line_client_which_still_works() -> None:
    probe = (
        "import json, sys\n"
        "import zen_tui, httpx\n"
        "cli = ('click', 'pygments', 'rich.progress', 'rich.syntax')\n"
        "before = sorted(n for n in cli if n in sys.modules)\n"
        "try:\n"
        "    httpx.main(['--help'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = 'click' in sys.modules\n"
        "print('\\n' + json.dumps({'before': before, 'code': code, 'click': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"before": [], "code": 0, "click": True}, done.stderr
    assert "Usage: httpx" in done.stdout  # the real client answered
