"""`python -m zen_tui`: the same as the `zen-tui` console script."""

from zen_tui.console import run

run()
