"""`zen-tui simulate`: serve the GitHub/Jira/Slack simulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zen_tui.config import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def run(args: argparse.Namespace, settings: Settings) -> int:
    scenario: Path | None = args.scenario
    if scenario is not None and not scenario.is_file():
        print(
            f"zen-tui: scenario file not found: {scenario}; pass the path of a scenario TOML file",
            file=sys.stderr,
        )
        return 2
    try:
        from zen_tui.simulator.scenario import ScenarioError
        from zen_tui.simulator.server import serve
    except ImportError as exc:
        print(f"zen-tui: the simulator is not available in this build ({exc})", file=sys.stderr)
        return 2
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
        print(f"zen-tui: bad scenario: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"zen-tui: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "pick another --port (0 = any free port)",
            file=sys.stderr,
        )
        return 2
    return 0
