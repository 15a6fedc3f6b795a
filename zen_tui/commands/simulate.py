"""`zen-tui simulate`: serve the GitHub/Jira/Slack simulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for `zen-tui --help` this module loads without the config
    from zen_tui.config import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
HELP = "serve the GitHub/Jira/Slack simulator on loopback"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p = parser
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0 = any free)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated world (default: 1)")
    p.add_argument(
        "--size", type=_positive_int, default=300, help="number of items per service (default: 300)"
    )
    p.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="fault scenario: a bundled name (tour, steady) or a TOML file",
    )
    p.add_argument("--activity", action="store_true", help="add new items over time")


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; use 0..65535")
    return value


def _positive_int(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _fail(message: str) -> int:
    print(f"zen-tui: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from zen_tui.simulator.core.scenario import ScenarioError, resolve
        from zen_tui.simulator.server import serve
    except ImportError as exc:
        return _fail(f"the simulator is not available in this build ({exc})")
    scenario: Path | None = None
    if args.scenario is not None:
        try:  # a file path, or a bundled scenario's name ("tour", "steady")
            scenario = resolve(args.scenario)
        except ScenarioError as exc:
            return _fail(str(exc))
    if args.host not in LOOPBACK:
        print(
            f"zen-tui: warning: serving the simulator on {args.host}, not loopback", file=sys.stderr
        )
    try:
        serve(
            host=args.host,
            port=args.port,
            seed=args.seed,
            size=args.size,
            scenario=scenario,
            activity=args.activity,
        )
    except ScenarioError as exc:
        return _fail(f"bad scenario: {exc}")
    except OSError as exc:
        from zen_tui.config_schema import listen_advice

        advice = listen_advice(exc, "--host", "--port") or "pick another --port (0 = any free port)"
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; {advice}")
    return 0
