"""Read-only screens: the key help, and the welcome screen shown with no sections configured."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from zen_tui.text_safety import clean

DEMO_RESULT = "demo"  # ZenApp's return value when the user asks for the demo
INIT_RESULT = "init"  # ... and for `zen-tui init` (run in the terminal once the UI is closed)


class HelpScreen(ModalScreen[None]):
    """Every binding with its id (the name to use in the keymap) and its current keys."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: 90%; border: round $primary; background: $surface;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close", id="help-close")]

    def __init__(self, rows: list[tuple[str, str, str]], *, first: int = 0, pane: str = "") -> None:
        super().__init__()
        self.rows = rows  # (id, keys, description)
        self.first = first  # the first rows are the focused pane's keys ...
        self.pane = pane  # ... and this is the pane

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, header_style="bold")
        table.add_column("Keys", style="bold", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id (keymap)", style="dim", no_wrap=True)
        for n, (binding_id, keys, description) in enumerate(self.rows):  # the user's keys
            if self.first and n in (0, self.first):
                heading = f"On {self.pane}" if n == 0 else "Everything else"
                table.add_row(Text(heading, style="bold underline"), end_section=False)
            table.add_row(Text(clean(keys)), Text(clean(description)), Text(clean(binding_id)))
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys · esc closes · remap by id in the config keymap"
            yield Static(table)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


WELCOME = """\
[b]Welcome to zen-tui[/b]

No accounts or sections are configured yet.

[b]1. Set up[/b]: press [b]i[/b] to write a starter config
  (zen-tui init asks a few questions and finds your gh login).

[b]2. Log in[/b]: press [b]l[/b] now (GitHub, Slack), or add an account to your config
  (\\[\\[accounts]] in config.toml) and run  zen-tui auth login ACCOUNT
  Then list what to show as \\[\\[sections]] and start zen-tui again.

[b]3. Try the demo[/b]: every feature against the bundled simulator, no account, no network.
    zen-tui --demo          or press [b]d[/b] now

Press [b]q[/b] to quit."""


class WelcomeScreen(Screen[None]):
    BINDINGS = [
        Binding("i", "init", "Set up a config", id="welcome-init"),
        Binding("l", "app.login", "Log in", id="welcome-login"),
        Binding("d", "demo", "Run the demo", id="welcome-demo"),
        Binding("q", "app.quit", "Quit", id="welcome-quit"),
    ]
    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen > Vertical {
        width: 76; max-width: 100%; height: auto; border: round $primary; padding: 1 2;
        background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "zen-tui · log in or run the demo"
            yield Static(Text.from_markup(WELCOME))
        yield Footer()

    def action_demo(self) -> None:
        self.app.exit(DEMO_RESULT)

    def action_init(self) -> None:
        self.app.exit(INIT_RESULT)
