"""Headless commands load only what they use: no Textual, Rich, Click, Pygments, httpx or
Starlette for `--help`, `list --json`, `health`, `outbox` and a refused `act`, nor the modules
zen-tui has its own light code for (logging.handlers, shutil; platformdirs on Linux), nor
typing_extensions (msgspec loads without it).

Each runs in a fresh interpreter (a module imported by another test would hide a regression),
through the real `main`, and reports what `sys.modules` holds when it returns.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zen_tui.commands import COMMAND_MODULES, STORE_ONLY

from .conftest import headless_env

HEAVY = ("textual", "rich", "click", "pygments", "httpx", "starlette", "uvicorn")
# The log file rotates without logging.handlers (socket, pickle, queue, struct); argparse's
# help is sized without shutil (bz2, lzma); the Linux folders are found without platformdirs
# (tempfile, random); msgspec loads without typing_extensions (inspect, ast, dis: see
# zen_tui/_msgspec_typing.py).
NOT_NEEDED = ("logging.handlers", "shutil", "typing_extensions", "inspect") + (
    ("platformdirs",) if sys.platform == "linux" else ()
)
PROBE = """
import json, sys
from zen_tui.cli import main
code = main(sys.argv[1:])
heavy = sorted(n for n in {heavy!r} if n in sys.modules)
print("\\n" + json.dumps({{"code": code, "heavy": heavy}}))
"""


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
    "act usage error": ["act", "aprove", "gh:acme/api#1"],  # argparse: not a kind
}


FOLDERS = ["named"] + (["default"] if sys.platform == "linux" else [])


@pytest.mark.parametrize("folders", FOLDERS)
@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_headless_command_imports_nothing_heavy(
    tmp_path: Path, argv: list[str], folders: str
) -> None:
    env = headless_env(tmp_path, default_folders=folders == "default")
    probe = PROBE.format(heavy=HEAVY + NOT_NEEDED)
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
    log = tmp_path / "xdg-data" / "zen-tui" / "logs" / "zen-tui.log"
    if folders == "default" and argv[0] == "act":  # refused before the log is set up
        assert not log.exists()
        if argv == COMMANDS["act refused"]:  # by the account in the default config
            assert "not a github item id" in done.stderr
    elif folders == "default" and argv != ["--help"]:  # it used the config and folders given
        assert (tmp_path / "xdg-data" / "zen-tui" / "zen-tui.db").exists()
        # list, health, outbox: nothing to log (their log file is set up when they first log)
        assert log.exists() == (argv[0] not in STORE_ONLY)


# What each command does not need, beyond HEAVY: the modules a script would wait for.
# `list`, `health` and `outbox` log nothing on these runs: no logging (zen_tui.lazy_log).
NO_LOG = ("logging", "zen_tui.logs")
# They start no thread: their locks (the store's, the notices', the secrets') are _thread's.
NO_THREADS = ("threading", "_weakrefset")
# They end at SIGTERM as Python's default ends them (zen_tui/cli.py): no `signal` and its enums.
NO_SIGNALS = ("signal",)
# Answered by their quick lane (cli._quick: the config's kept facts, the store as it is): no
# records (msgspec), no settings, no argparse for a plain line (plain_argv), no typing at run
# time (zen_tui/commands/__init__.py says why).
QUICK = (
    *("msgspec", "uuid", "zen_tui.models", "zen_tui.config", "zen_tui.store.store"),
    *("argparse", "typing"),
)
UNUSED = {
    "help": (
        *("zen_tui.config", "zen_tui.store", "zen_tui.models", "logging", "sqlite3"),
        *("json", "getpass"),  # the command modules import them where they are used
        *NO_SIGNALS,
    ),
    "list": (
        *QUICK,
        "zen_tui.gateway.errors",
        "zen_tui.sync.engine",
        "zen_tui.sync.outbox",
        "zen_tui.store.leases",
        "zen_tui.gateway.identity",  # only with a token in the environment (its own rows)
        "secrets",
        "asyncio",
        "getpass",
        "shlex",
        "socket",
        *NO_LOG,
        *NO_THREADS,
        *NO_SIGNALS,
    ),
    # a health record's saver is judged by its pid and host: os.uname(), not socket
    "health": (
        *("socket", "asyncio", "zen_tui.sync.engine"),
        *QUICK,
        *NO_LOG,
        *NO_THREADS,
        *NO_SIGNALS,
    ),
    "outbox": ("socket", "zen_tui.sync.engine", *QUICK, *NO_LOG, *NO_THREADS, *NO_SIGNALS),
    # Refused from argv and the config's account names alone, as a usage error is: no
    # records (msgspec), no full config check, no store, no log file (logging).
    "act refused": (
        *("zen_tui.sync.engine", "zen_tui.wiring", "zen_tui.gateway.gateway"),
        *("zen_tui.store.store", "sqlite3"),  # validation opens no store
        *("msgspec", "zen_tui.config", "zen_tui.models", "zen_tui.store", "zen_tui.logs"),
        *("logging", "json"),
    ),
    # argparse's message is redacted (zen_tui.redaction), and that loads no logging
    "act usage error": ("logging", "zen_tui.logs", "msgspec", "zen_tui.config", "tomllib", "json"),
}
# Imports nothing itself (not even json) that a command might be checked for.
UNUSED_PROBE = """
import sys
from zen_tui.cli import main
code = main(sys.argv[2:])
print("\\nloaded:" + ",".join(n for n in sys.argv[1].split(",") if n in sys.modules))
"""


def loaded_by(argv: list[str], names: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """Run `zen-tui ARGV` in a fresh interpreter: which of `names` it left loaded."""
    probe = [sys.executable, "-c", UNUSED_PROBE, ",".join(names), *argv]
    done = subprocess.run(probe, capture_output=True, text=True, env=env, timeout=60, check=False)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), done.stderr
    return [n for n in last.removeprefix("loaded:").split(",") if n]


@pytest.mark.parametrize("name", sorted(UNUSED))
def test_headless_command_loads_only_what_it_uses(tmp_path: Path, name: str) -> None:
    """As day to day: a run before it kept the config's parse and facts (config_cache), so a
    command with a quick lane (commands/__init__.py) answers by it."""
    env = headless_env(tmp_path)
    # the first run (the full path, which keeps the facts) loads none of the rest either
    assert loaded_by(COMMANDS[name], tuple(n for n in UNUSED[name] if n not in QUICK), env) == []
    assert loaded_by(COMMANDS[name], UNUSED[name], env) == []


@pytest.mark.parametrize("name", ["list", "health", "outbox", "act refused"])
def test_a_command_on_a_config_read_before_loads_no_toml_parser(tmp_path: Path, name: str) -> None:
    """The config's parse is kept (zen_tui/config_cache.py): tomllib, whose import compiles a
    dozen regular expressions, loads only where the config's text is new. `act` reads the
    account names from the kept parse too (it keeps none itself: it checks no more)."""
    env = headless_env(tmp_path, default_folders=sys.platform == "linux")
    first = loaded_by(COMMANDS[name], ("tomllib",), env)
    assert first == ["tomllib"]
    if name == "act refused":
        assert loaded_by(COMMANDS["health"], ("tomllib",), env) == ["tomllib"]
    assert loaded_by(COMMANDS[name], ("tomllib",), env) == []


# Modules each headless command runs, of those some command loads: none of the others.
# (Not zen_tui.timefmt: the models load it, for ages and labels, and so every command here.)
OWN_MODULES = {
    "list": ("zen_tui.commands.list_items",),
    "health": ("zen_tui.commands.health",),
    "outbox": ("zen_tui.commands.outbox",),
    "act refused": ("zen_tui.commands.act",),  # the rules, zen_tui.action_rules, but no models
}
OTHERS = tuple(
    sorted(
        {
            *(f"zen_tui.commands.{module}" for module in COMMAND_MODULES.values()),
            *(name for names in OWN_MODULES.values() for name in names),
            "zen_tui.item_commands",  # a config's [[commands]] only: this one has none
        }
    )
)


@pytest.mark.parametrize("name", sorted(OWN_MODULES))
def test_a_named_command_loads_no_other_commands_modules(tmp_path: Path, name: str) -> None:
    """`zen-tui health` builds and imports the parser of `health` only (`--help` and a
    misspelt command load them all): not the nine other command modules, nor what they
    import for themselves."""
    env = headless_env(tmp_path, default_folders=True)
    own = OWN_MODULES[name]
    assert loaded_by(COMMANDS[name], OTHERS, env) == sorted(own)


# Whether the command built a decoder of the store codec's: each is built on first use.
DECODERS_PROBE = """
import sys
import msgspec
from zen_tui.cli import main
code = main(sys.argv[1:])
from zen_tui.store import codec
held = [n for n, v in vars(codec).items() if isinstance(v, msgspec.json.Decoder)]
built = [f.__name__ for f in (codec._items, codec._actions) if f.cache_info().currsize]
print("\\nbuilt:" + ",".join(held + built))
"""


@pytest.mark.parametrize("name", ["health", "outbox"])
def test_a_command_that_reads_no_item_builds_no_decoder(tmp_path: Path, name: str) -> None:
    """Building the items' decoder reads every item model's type hints (~1 ms): `health` and
    `outbox` read no item (and, with an empty outbox, no action), so they build none."""
    env = headless_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", DECODERS_PROBE, *COMMANDS[name]],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last == "built:", done.stderr


def test_a_command_rotates_its_full_log_without_logging_handlers(tmp_path: Path) -> None:
    """`zen-tui health` with its log at the size limit and something to log (its store file
    was unreadable, and is moved aside): the log is set up at that first record, the old log
    moves to .1, the command's lines start a new one with its start line, and
    logging.handlers never loaded."""
    from zen_tui.logs import MAX_BYTES

    env = headless_env(tmp_path)
    logs = tmp_path / "data" / "logs"
    logs.mkdir(parents=True)
    (logs / "zen-tui.log").write_text("x" * (MAX_BYTES - 10) + "\n", encoding="utf-8")
    (tmp_path / "data" / "zen-tui.db").write_bytes(b"not a database, " * 64)
    assert loaded_by(["health"], NOT_NEEDED, env) == []
    assert (logs / "zen-tui.log.1").stat().st_size == MAX_BYTES - 9
    lines = [json.loads(line) for line in (logs / "zen-tui.log").read_text().splitlines()]
    assert lines[0]["message"].endswith(": health"), lines
    assert "the local store was unreadable" in lines[1]["message"], lines


def test_a_command_with_nothing_to_log_loads_no_logging_and_writes_no_line(
    tmp_path: Path,
) -> None:
    """`list`, `health` and `outbox` set up their log when they first log: a run with nothing
    to say leaves the log as it was (no start line) and loads neither logging nor the log
    module; every other command still writes its start line at once."""
    env = headless_env(tmp_path)
    log = tmp_path / "data" / "logs" / "zen-tui.log"
    for argv in (["list", "prs", "--json"], ["health"], ["outbox", "list"]):
        assert loaded_by(argv, ("logging", "zen_tui.logs", "zen_tui.lazy_log"), env) == [
            "zen_tui.lazy_log"
        ]
        assert not log.exists(), argv
    assert loaded_by(["init", "--yes"], ("logging",), env) == ["logging"]  # refused: it exists
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["message"].endswith(": init"), lines


@pytest.mark.parametrize("package", ["zen_tui.gateway", "zen_tui.store"])
def test_package_names_resolve_lazily(package: str) -> None:
    """The gateway and store packages load their names on first use; every exported name
    resolves, and is kept in the package after its first look-up."""
    import importlib

    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name).__name__ == name
        assert name in vars(module)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = module.Nope


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


COMPILE_PROBE = """
import sys
# Frames of the machinery that compiles on behalf of the module defining a class.
machinery = ("typing.py", "dataclasses.py", "collections/__init__.py", "enum.py", "<frozen ")
ours = []

def hook(event, args):
    if event != "compile":
        return
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.endswith(machinery):
        frame = frame.f_back
    if frame is not None and "zen_tui" in frame.f_code.co_filename:
        ours.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")

sys.addaudithook(hook)
from zen_tui.cli import main
main(["--help"])
print("\\ncompiled:" + ",".join(ours))
"""


def test_help_compiles_no_code(tmp_path: Path) -> None:
    """`--help` imports every command module; none of them defines a class that compiles code
    (a dataclass's methods, a NamedTuple's string annotations): the first compile() of a
    process costs a millisecond."""
    env = headless_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", COMPILE_PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "compiled:", done.stderr
