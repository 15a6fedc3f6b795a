"""The headless commands' start-up counted in CPU instructions (valgrind), against the same
baseline as startup.py's wall-clock figures: `python -c pass`.

Why a second measure of the same thing: wall time on these shared 2-core machines moves by
2-3x from one session to the next, and by several percent from one round to the next, so a
change of 1 ms in a 35 ms command is hard to see in time. The number of instructions a process
executes does not move at all between runs once the hash seed is fixed (PYTHONHASHSEED=0, as
here), so it shows exactly what a change costs or saves. It is not the goal's ratio: in time,
the baseline's exec, page faults and system calls weigh more than their instructions, so the
time ratios (startup.py) are lower than these. Reported, no goal.

The commands run on a config whose parse an earlier run kept (zen_tui/config_cache.py), as
day to day; the first run after a config change, which parses it, has its own row.

`--modules` lists what each module on the path of `zen-tui list prs --json` costs to import
beyond the structural floor (the same floor as startup.py's): importing the modules that
command loads, one more at a time, in the order it loads them. Not recorded; it is the map of
where the cost is.

Needs valgrind (Debian: `apt-get install valgrind`); without it, says so and records nothing.
Run: .venv/bin/python benchmarks/instructions.py [--modules]   (about a minute; --modules 5)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from startup import (  # noqa: E402  (after the path above)
    FIRST_RUN_NAME,
    FLOOR,
    FLOOR_DESIGN,
    FLOOR_DESIGN_NAME,
    FLOOR_NAME,
    HEADLESS,
    LIST_ARGV,
    compile_bytecode,
    forget_config_parse,
    headless_setup,
)

COUNTED = re.compile(r"I\s+refs:\s+([\d,]+)")
VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
# Address-space randomisation off (util-linux's setarch): with it on, the same command's count
# moved by up to ~3 M between runs (addresses differ, and with them memory's layout and what
# is hashed by identity), more than most modules --modules weighs; off, repeated runs of a
# command agreed within ~0.05 M.
NO_ASLR = ["setarch", "-R"] if shutil.which("setarch") else []


def instructions(argv: list[str], env: dict[str, str]) -> float:
    """Millions of instructions `argv` executes, start to exit (valgrind's cachegrind)."""
    done = subprocess.run(
        [*NO_ASLR, *VALGRIND, *argv],
        env=env | {"PYTHONHASHSEED": "0"},
        cwd=ROOT,  # `-c` code imports zen_tui from this tree, as the script does when installed
        capture_output=True,
        check=False,
        timeout=300,
        text=True,
    )
    found = COUNTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind counted nothing for {argv}: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", "")) / 1e6


def measure(zen: list[str], env: dict[str, str]) -> list[object]:
    from results import figure

    base = [instructions([sys.executable, "-c", "pass"], env)]
    # The first run after a config change, which keeps its parse for the commands after it:
    # they run as they do day to day (as in startup.py).
    forget_config_parse(env)
    first = [instructions([*zen, *LIST_ARGV], env)]
    named = {f"{name}, instructions": [*zen, *argv] for name, argv in HEADLESS.items()}
    named[f"{FLOOR_NAME}, instructions"] = [sys.executable, "-c", FLOOR]
    named[f"{FLOOR_DESIGN_NAME}, instructions"] = [sys.executable, "-c", FLOOR_DESIGN]
    figures = [
        figure(name, "M instr", [instructions(argv, env)], base, "`python -c pass`")
        for name, argv in named.items()
    ]
    name = f"{FIRST_RUN_NAME}, instructions"
    return [*figures, figure(name, "M instr", first, base, "`python -c pass`")]


def modules_of_list(zen: list[str], env: dict[str, str]) -> list[str]:
    """The modules `zen-tui list prs --json` loads beyond the structural floor, in load order."""
    script = (
        "import sys\n"
        f"sys.argv = {[*zen, *LIST_ARGV]!r}\n"
        "before = set(sys.modules)\n"
        "from zen_tui.cli import main\n"
        "main(sys.argv[1:])\n"
        "new = [m for m in sys.modules if m not in before]\n"
        # a stand-in (zen_tui._httpx_cli's) has no spec: importing its name loads the real one
        "print(' '.join(m for m in new if getattr(sys.modules[m], '__spec__', None)),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"`zen-tui {' '.join(LIST_ARGV)}` failed: {done.stderr[-500:]}")
    loaded = done.stderr.split()
    floor = subprocess.run(
        [sys.executable, "-c", FLOOR_DESIGN + "; import sys; print(' '.join(sys.modules))"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [m for m in loaded if m not in floor and not m.startswith("importlib._")]


def print_module_costs(zen: list[str], env: dict[str, str]) -> None:
    subprocess.run([*zen, *LIST_ARGV], env=env, capture_output=True, check=False)  # keeps the parse
    modules = modules_of_list(zen, env)
    frozen = "; gc.freeze()"
    head = FLOOR_DESIGN.removesuffix(frozen)
    previous = instructions([sys.executable, "-c", FLOOR_DESIGN], env)
    costs: list[tuple[float, str]] = []
    for i, name in enumerate(modules):
        imports = ", ".join(modules[: i + 1])
        now = instructions([sys.executable, "-c", f"{head}; import {imports}{frozen}"], env)
        costs.append((now - previous, name))
        previous = now
    whole = instructions([*zen, *LIST_ARGV], env)
    print(f"structural floor + the {len(modules)} modules of `list`: {previous:.1f} M instr")
    print(f"`zen-tui list prs --json` itself (imports and work): {whole:.1f} M instr")
    for cost, name in sorted(costs, reverse=True):
        print(f"{cost:8.2f} M  {name}")


def main() -> int:
    if shutil.which("valgrind") is None:
        print("instructions: valgrind not found, skipped (Debian: apt-get install valgrind)")
        return 0
    from results import record

    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="zen-instructions-bench-") as tmp:
        zen, env = headless_setup(Path(tmp))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if sys.argv[1:] == ["--modules"]:
            print_module_costs(zen, env)
            return 0
        if sys.argv[1:]:
            raise SystemExit(f"usage: python instructions.py [--modules], not {sys.argv[1:]!r}")
        figures = measure(zen, env)
    record("instructions", figures)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
