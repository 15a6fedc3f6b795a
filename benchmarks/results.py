"""One report of every figure: each benchmark records its figures here, and this module keeps
`benchmarks/results.json` (machine-readable) and `benchmarks/RESULTS.md` (a table) in step.

A figure is always ours against a baseline measured in the same run, over several rounds:
the table shows both medians, the spread (min-max) of each, their ratio and the goal. A
benchmark replaces only its own rows, so `make bench` (all of them) and a single script run
both leave a complete report.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JSON_PATH = HERE / "results.json"
MARKDOWN_PATH = HERE / "RESULTS.md"


@dataclass(frozen=True)
class Figure:
    """One measured figure: `ours` against `baseline`, with the goal as a maximum ratio."""

    name: str
    unit: str
    ours: float  # median over rounds
    baseline: float
    baseline_name: str
    ours_spread: tuple[float, float]
    baseline_spread: tuple[float, float]
    rounds: int
    max_ratio: float | None = None  # the goal: ours / baseline at most this; None: reported only

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        return None if self.max_ratio is None else self.ratio <= self.max_ratio


def figure(
    name: str,
    unit: str,
    ours: Sequence[float],
    baseline: Sequence[float],
    baseline_name: str,
    max_ratio: float | None = None,
) -> Figure:
    """A figure from the raw samples of both sides (medians and min-max spreads)."""
    return Figure(
        name=name,
        unit=unit,
        ours=statistics.median(ours),
        baseline=statistics.median(baseline),
        baseline_name=baseline_name,
        ours_spread=(min(ours), max(ours)),
        baseline_spread=(min(baseline), max(baseline)),
        rounds=min(len(ours), len(baseline)),
        max_ratio=max_ratio,
    )


def machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def record(benchmark: str, figures: Sequence[Figure], *, partial: bool = False) -> None:
    """Replace `benchmark`'s rows in results.json and rewrite RESULTS.md; print the rows.

    `partial`: the run measured part of the benchmark; only the rows of the figures it
    measured are replaced (in place), the others stay as they were, with their own date."""
    stamp = {"benchmark": benchmark, "date": time.strftime("%Y-%m-%d"), "machine": machine()}
    fresh = []
    for f in figures:
        fresh.append(stamp | asdict(f) | {"ratio": round(f.ratio, 3), "met": f.met})
        print(_line(f))
    rows = _load()
    if partial:
        rows = _merged(rows, benchmark, fresh)
    else:
        rows = [r for r in rows if r["benchmark"] != benchmark] + fresh
    JSON_PATH.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    MARKDOWN_PATH.write_text(render(rows), encoding="utf-8")


def _merged(
    rows: list[dict[str, Any]], benchmark: str, fresh: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`rows` with each of `fresh` in place of the row of the same figure (benchmark, name and
    baseline); a figure new to the report goes after the one measured before it."""

    def key(row: dict[str, Any]) -> tuple[str, str, str]:
        return row["benchmark"], row["name"], row["baseline_name"]

    out = list(rows)
    at = next((i for i, r in enumerate(out) if r["benchmark"] == benchmark), len(out))
    for row in fresh:
        same = next((i for i, r in enumerate(out) if key(r) == key(row)), None)
        if same is None:
            out.insert(at, row)
            at += 1
        else:
            out[same] = row
            at = same + 1
    return out


def _load() -> list[dict[str, Any]]:
    try:
        rows = json.loads(JSON_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return rows if isinstance(rows, list) else []


def _line(f: Figure) -> str:
    goal = "" if f.max_ratio is None else f"  goal <= {f.max_ratio:g}x: {_verdict(f.met)}"
    return (
        f"{f.name}: {_num(f.ours)} {f.unit} vs {_num(f.baseline)} {f.unit} "
        f"({f.baseline_name}) = {f.ratio:.2f}x{goal}"
    )


def _verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "NOT met")


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _spread(pair: Sequence[float]) -> str:
    low, high = pair
    return f"{_num(low)}-{_num(high)}"


def render(rows: list[dict[str, Any]]) -> str:
    """The Markdown table, grouped by benchmark in the order they were first recorded."""
    lines = [
        "# Measured figures",
        "",
        "Written by `make bench` (each benchmark replaces its own rows). Every figure is ours",
        "against a baseline measured in the same run: medians over the rounds, spread min-max.",
        "",
        "| benchmark | figure | ours | baseline | ratio | goal | met | rounds | date | machine |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        goal = "-" if r["max_ratio"] is None else f"<= {r['max_ratio']:g}x"
        lines.append(
            f"| {r['benchmark']} | {r['name']} "
            f"| {_num(r['ours'])} {r['unit']} ({_spread(r['ours_spread'])}) "
            f"| {_num(r['baseline'])} {r['unit']} ({_spread(r['baseline_spread'])}): "
            f"{r['baseline_name']} | {r['ratio']}x | {goal} | {_verdict(r['met'])} "
            f"| {r['rounds']} | {r['date']} | {r['machine']} |"
        )
    return "\n".join(lines) + "\n"


def count_arg(argv: Sequence[str], default: int, what: str = "rounds") -> int:
    """The optional first argument, a positive count (`python benchmarks/x.py 15`); a bad one
    ends the run with a one-line usage instead of a traceback."""
    if len(argv) < 2:
        return default
    if argv[1].isdigit() and int(argv[1]) > 0:
        return int(argv[1])
    raise SystemExit(
        f"usage: python {Path(argv[0]).name} [{what.upper()}]: {what} is a positive whole "
        f"number (default {default}), not {argv[1]!r}"
    )
