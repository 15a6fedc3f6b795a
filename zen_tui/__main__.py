"""`python -m zen_tui`: the same as the `zen-tui` console script."""

import sys

from zen_tui.cli import main

sys.exit(main())
