"""ZenApp: the Textual application. The only bridge between the bus and the widgets.

One bus subscriber forwards every event onto the UI loop as a `BusEvent` message (thread-safe);
the health model and the dashboard are updated from those messages only. The first screen
paints from `backend.load_local()`; `backend.start()` runs in a worker once it is painted.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import msgspec
from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.theme import Theme

from zen_tui.config import AccountConfig, CommandConfig, Settings
from zen_tui.events import Event
from zen_tui.models import Snapshot
from zen_tui.store.outbox import HOLDS_LATER
from zen_tui.sync.backend import ActionUpdated, Backend, OutboxCounted, SectionUpdated
from zen_tui.text_safety import clean
from zen_tui.ui.commands import ZenCommands
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.key_gate import KeyGate, gated
from zen_tui.ui.keys import key_char
from zen_tui.ui.messages import BusEvent, for_dashboard
from zen_tui.ui.screens.dashboard import TRIAGE_BINDINGS, DashboardScreen
from zen_tui.ui.themes import BUNDLED_DIR, DEFAULT_THEME, load_theme_dirs
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.pane import FilterInput

# The screens the first paint does not show (health, help, login, the dialogs) load when they
# open: with them Textual's TextArea, tree-sitter, DataTable and the login states.
if TYPE_CHECKING:
    from zen_tui.ui.screens.health import HealthScreen
    from zen_tui.ui.screens.login import FlowFactory, LoginOutcome
    from zen_tui.ui.screens.outbox import OutboxScreen

log = logging.getLogger(__name__)

T = TypeVar("T")

# One dialog at a time: a second one under or over the first would take keys meant for it
DIALOG_UP = "a dialog is open: answer it or press esc first"

APP_BINDINGS: list[Binding] = [
    # `leave`, not Textual's `quit`: check_action lets it act on the dashboard only, while
    # ctrl+q (Textual's own `quit`, a priority binding) still quits from anywhere
    Binding("q", "leave", "Quit", id="quit"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("h", "health", "Health", id="health"),
    Binding("O", "outbox", "Outbox", id="outbox", show=False),
    Binding(
        "ctrl+p", "command_palette", "Palette", id="command-palette", priority=True, show=False
    ),
]


class DashboardOptions(msgspec.Struct, frozen=True):
    """What the config says beyond theme and keymap: `[ui] select_advances`, `[[commands]]`,
    `[repos."owner/name"] path`, and the file a query edited with `s` is saved to."""

    select_advances: bool = True
    commands: tuple[CommandConfig, ...] = ()
    repo_paths: dict[str, Path] = msgspec.field(default_factory=dict)
    config_path: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DashboardOptions:
        return cls(
            select_advances=settings.ui.select_advances,
            commands=tuple(settings.commands),
            repo_paths=dict(settings.repo_paths),
            config_path=settings.config_path,
        )


class ZenApp(App[str | None]):
    CSS_PATH = "app.tcss"
    TITLE = "zen-tui"
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)
    COMMANDS = App.COMMANDS | {ZenCommands}

    def __init__(
        self,
        backend: Backend,
        *,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        theme_dirs: list[Path] | None = None,
        settings_store: Callable[[str, str], None] | None = None,
        demo_banner: str | None = None,
        clock: Callable[[], float] = time.time,
        accounts: list[AccountConfig] | None = None,
        login_flow: FlowFactory | None = None,
        options: DashboardOptions | None = None,
        first_frame: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._first_frame = first_frame  # called once the first screen is painted
        self.options = options or DashboardOptions()
        self.backend = backend
        self.accounts = accounts if accounts is not None else backend.accounts
        self.login_flow = login_flow  # None: the real flows (zen_tui.ui.screens.login.ui_flow)
        self.clock = clock
        self.settings_store = settings_store
        self.demo_banner = demo_banner
        self.health_model = HealthModel()
        self.initial_snapshots: dict[str, Snapshot] = {}  # latest per section, for (re)mounts
        self._dash: DashboardScreen | None = None
        self._wanted_theme = theme or DEFAULT_THEME
        self._saved_theme: str | None = None
        self._problems: list[str] = []
        self.user_themes: set[str] = set()
        self._load_themes([BUNDLED_DIR, *(theme_dirs or [])])
        self._preset_theme()
        self._unsubscribe: Callable[[], None] | None = None
        self._user_keymap = dict(keymap or {})
        self.keymap: dict[str, str] = {}  # binding id -> keys, the user's entries that apply
        self.active_commands: list[int] = []  # [[commands]] entries bound (no clash)
        self._health_dirty = False
        self._cards_pending = False
        self._outbox_pending = False
        self.key_gate = KeyGate(self, super().on_event)

    async def on_event(self, event: events.Event) -> None:
        """A key of a burst waits until the one before it has settled (see key_gate)."""
        if gated(event):
            await self.key_gate.take(event)
        else:
            await super().on_event(event)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' and widgets' too: theirs call this) carries data: a
        server's error, a file name. Never parsed as markup, whatever the caller asks; its
        control characters made visible."""
        super().notify(
            clean(message, multiline=True),
            title=clean(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # --- start-up ---------------------------------------------------------------------------

    def _load_themes(self, dirs: list[Path]) -> None:
        themes, problems = load_theme_dirs(dirs)
        self._problems += problems
        for t in themes:
            self.register_theme(t)
            self.user_themes.add(t.name)

    def _preset_theme(self) -> None:
        """The wanted theme in place before the stylesheet is first parsed, as setting
        `theme` would place it (its watcher's classes, variables and ANSI filter), without
        the watcher: set once the app runs, it parsed every stylesheet a second time and
        restyled the app (~25 ms of the first paint). A theme that is not known is left to
        _apply_theme, which says so."""
        name = self._wanted_theme
        if name not in self.available_themes:
            return
        self.set_reactive(App.theme, name)  # Textual's documented way: no watcher
        self.stylesheet.set_variables(self.get_css_variables())
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self.set_class(True, f"-theme-{name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)  # an internal: a light theme's ANSI

    def on_mount(self) -> None:
        if self._first_frame is not None:
            self.call_after_refresh(self._first_frame)
        self._apply_theme()
        self._apply_keymap()
        self.health_model.seed(self.backend.health())
        self._unsubscribe = self.backend.bus.subscribe(self._forward)
        if self.demo_banner:
            self.sub_title = self.demo_banner
        for problem in self._problems:
            self.notify(problem, title="theme skipped", severity="warning", timeout=10)
        for message in self.backend.take_recovery_notices():  # a bad store file was moved aside
            self.notify(message, title="local store rebuilt", severity="warning", timeout=20)
        if not self.backend.sections:
            from zen_tui.ui.screens.info import WelcomeScreen

            self.push_screen(WelcomeScreen())
            return
        self.initial_snapshots = self.backend.load_local()  # paint from disk first
        self._dash = DashboardScreen()
        self.push_screen(self._dash)
        self.set_interval(1.0, self._tick)
        # Syncing (and the network stack it loads) starts once the dashboard is on screen.
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self._start_backend()  # a worker: not awaited here

    @work(group="backend", exit_on_error=False)
    async def _start_backend(self) -> None:
        try:
            await self.backend.start()
        except Exception as exc:  # keep showing local data; say why it won't refresh yet
            # The engine runs on and builds again at the next poll (or R): not "could not start".
            self.notify(
                f"could not set up syncing (retried by the next poll or R): {exc}",
                severity="error",
                timeout=15,
            )

    def _apply_theme(self) -> None:
        name = self._wanted_theme
        if name not in self.available_themes:
            self.notify(
                f"theme {name!r} not found; using {DEFAULT_THEME}. "
                f"Known: {', '.join(sorted(self.user_themes))}",
                severity="warning",
            )
            name = DEFAULT_THEME
        self._saved_theme = name
        if self.theme != name:
            self.theme = name
        self.theme_changed_signal.subscribe(self, self._persist_theme)

    def _persist_theme(self, theme: Theme) -> None:
        name = theme.name
        if name and name != self._saved_theme and self.settings_store is not None:
            self._saved_theme = name
            try:
                self.settings_store("theme", name)
            except Exception as exc:
                self.notify(f"could not save the theme choice: {exc}", severity="warning")

    def _apply_keymap(self) -> None:
        # With no keymap nothing is checked: the dialogs' bindings need not load to paint.
        known = {b.id for b in all_bindings() if b.id} if self._user_keymap else set()
        unknown = sorted(set(self._user_keymap) - known)
        if unknown:
            self.notify(
                f"keymap: unknown binding id {unknown[0]!r}; press ? to see the ids",
                severity="warning",
                timeout=10,
            )
        self.keymap = {k: v for k, v in self._user_keymap.items() if k in known}
        self.set_keymap(self.keymap)
        self._check_keymap_clashes()
        self._check_commands()

    def _check_keymap_clashes(self) -> None:
        """A key the keymap gives to a second dashboard binding (`approve = "a"`, where
        Assign me is): only one of them runs from it, the other silently never. Keys the
        built-in bindings share by design (esc: the selection, then the filter) are not the
        user's to fix, so only a clash with a remapped binding is said."""
        owners: dict[str, list[Binding]] = {}
        for b in _bindings_together():
            for key in self.keymap.get(b.id or "", b.key).split(","):
                owners.setdefault(key_char(key), []).append(b)
        for key, clash in owners.items():
            if len(clash) > 1 and any(b.id in self.keymap for b in clash):
                both = " and ".join(f"{b.description} ({b.id})" for b in clash)
                self.notify(
                    f"keymap: key {key!r} is given to {both}: only one can run from it; "
                    "give the other another key in [ui.keymap]",
                    severity="warning",
                    timeout=15,
                )

    def _check_commands(self) -> None:
        """A custom command whose key a built-in binding (keymap applied) or an earlier
        command already takes is not bound, and the user is told which and why."""
        taken = {key_char(k): d for k, d in self._dashboard_keys().items()}
        self.active_commands = []
        for n, command in enumerate(self.options.commands):
            owner = taken.get(key_char(command.key))
            if owner is not None:
                self.notify(
                    f"commands: key {command.key!r} of {command.title!r} is taken by "
                    f"{owner!r}; give the command another key in [[commands]]",
                    severity="warning",
                    timeout=15,
                )
                continue
            self.active_commands.append(n)
            if command.pane is None:  # per-pane commands may share a key across panes
                taken[key_char(command.key)] = command.title

    def _dashboard_keys(self) -> dict[str, str]:
        """Each key the built-in dashboard bindings take, with the action's description."""
        keys: dict[str, str] = {}
        for b in dashboard_bindings():
            for key in self.keymap.get(b.id or "", b.key).split(","):
                keys.setdefault(key.strip(), b.description)
        return keys

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.backend.sections:
            try:
                await self.backend.stop()
            except Exception as exc:  # quitting anyway; the caller closes the store
                log.warning("backend stop failed: %s", exc)

    # --- events from the bus ----------------------------------------------------------------

    def _forward(self, event: Event) -> None:
        """Bus subscriber: runs in the publisher's thread; never touches a widget.
        `post_message` is thread-safe: from another thread Textual queues it on the app's loop."""
        self.post_message(BusEvent(event))

    def on_bus_event(self, message: BusEvent) -> None:
        event = message.event
        changed = self.health_model.apply(event)
        if isinstance(event, SectionUpdated):
            self.initial_snapshots[event.section_id] = event.snapshot
        dashboard = self._dashboard()
        if dashboard is not None:
            forwarded = for_dashboard(event)
            if forwarded is not None:
                dashboard.post_message(forwarded)
            if changed and not self._cards_pending:  # coalesce bursts: one redraw per frame
                self._cards_pending = True
                self.call_after_refresh(self._flush_cards)
        self._health_dirty = self._health_dirty or changed
        stack = self.screen_stack
        top = stack[-1] if stack else None  # none while quitting
        if changed and _as_health(top) is not None:
            self.call_after_refresh(self._refresh_health)
        outbox = isinstance(event, ActionUpdated | OutboxCounted)
        if outbox and _as_outbox(top) is not None and not self._outbox_pending:
            self._outbox_pending = True  # a burst of sends: one read of the outbox
            self.call_after_refresh(self._refresh_outbox)

    def _flush_cards(self) -> None:
        self._cards_pending = False
        dashboard = self._dashboard()
        if dashboard is not None:
            dashboard.refresh_cards()

    def _refresh_health(self) -> None:
        health = _as_health(self.screen)
        if self._health_dirty and health is not None:
            self._health_dirty = False
            health.update_view()

    def _refresh_outbox(self) -> None:
        self._outbox_pending = False
        view = _as_outbox(self.screen)
        if view is not None:
            view.update_view()

    def _dashboard(self) -> DashboardScreen | None:
        dash = self._dash
        return dash if dash is not None and dash.is_mounted else None

    def _tick(self) -> None:
        dashboard = self._dashboard()
        if dashboard is None:
            return
        with suppress(NoMatches):  # mounting or tearing down: nothing to age yet
            dashboard.tick()

    def configured_services(self) -> list[str]:
        """The services with an account or a section in the config, in the health model's
        order: the ones the gateway cards and the health screen show. A service nobody set
        up (`● slack closed`, `tok -`, an empty sparkline) said nothing."""
        configured = {a.service for a in self.accounts} | {s.service for s in self.backend.sections}
        return [s for s in self.health_model.services if s in configured]

    # --- dialogs: one at a time ----------------------------------------------------------

    def dialog_up(self) -> bool:
        """A dialog waits for its answer (the command palette is not one: it closes first)."""
        from textual.command import CommandPalette

        screen = self.screen
        return isinstance(screen, ModalScreen) and not isinstance(screen, CommandPalette)

    def _dialog_in_the_way(self) -> bool:
        """A dialog is up: say so; the caller then opens nothing over it."""
        if self.dialog_up():
            self.notify(DIALOG_UP, severity="warning")
            return True
        return False

    def push_dialog(self, screen: Screen[T], callback: Callable[[T | None], Any]) -> bool:
        """Push `screen` unless a dialog is up already (then say so, and push nothing): two
        stacked dialogs answer one and leave the other taking the dashboard's keys."""
        if self._dialog_in_the_way():
            return False
        self.push_screen(screen, callback)
        self.key_gate.asked(screen)  # pushed by an opening's worker: the keys go to it now
        return True

    async def ask_dialog(self, screen: Screen[T]) -> T | None:
        """push_dialog for a worker that awaits the answer: None (as if cancelled) when a
        dialog is up already."""
        if self._dialog_in_the_way():
            return None
        answer = self.push_screen(screen, wait_for_dismiss=True)
        self.key_gate.asked(screen)
        return await answer

    def action_command_palette(self) -> None:
        """Not over a dialog: its commands (log in, log out) would push a second one."""
        if not self._dialog_in_the_way():
            super().action_command_palette()

    # --- app actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`q` quits from the dashboard only. A dialog (a ModalScreen) keeps the app's keys
        from firing through it already (and its own footer covers the dashboard's, which
        lists `q`); a full screen over the dashboard (health) does not, so there `q` is that
        screen's (back) or nothing, even with its own `q` remapped away."""
        if action == "leave":
            screen = self.screen
            return screen.is_modal or screen is self._dashboard()
        return True

    def action_leave(self) -> None:
        """Quit; with actions not sent yet, first ask (the user may think they went out).
        ctrl+q quits without asking."""
        from zen_tui.ui.screens.modals import ConfirmModal

        try:
            unsent = [e for e in self.backend.outbox_entries() if e.state in HOLDS_LATER]
        except Exception as exc:  # the store unreadable: quitting must still work
            log.warning("could not read the outbox before quitting: %s", exc)
            unsent = []
        if not unsent:
            self.exit()
            return
        question = quit_question(len(unsent), demo=bool(self.demo_banner))
        self.push_dialog(ConfirmModal(question), self._quit_if)

    def _quit_if(self, yes: bool | None) -> None:
        if yes:
            self.exit()

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's hint says to press ctrl+q, in markup our notify shows as text;
        name the dashboard's quit key (the keymap applied) as well."""
        quit_keys = self.key_for("quit")
        self.notify(f"ctrl+c does not quit: press {quit_keys} on the dashboard, or ctrl+q")

    def action_help(self) -> None:
        """Every key; on the dashboard the focused pane's first (its item's actions, moving
        in its list, its custom commands), then everything else."""
        from zen_tui.ui.screens.info import HelpScreen

        rows = self.help_rows()
        dash = self._dashboard()
        if dash is None or self.screen is not dash:
            self.push_dialog(HelpScreen(rows), lambda _: None)
            return
        ids = dash.keys_here()
        commands = [(i, display_keys(k), d) for i, k, d in dash.commands_here()]
        here = [r for r in rows if r[0] in ids] + commands
        rest = [r for r in rows if r[0] not in ids]
        help_screen = HelpScreen(here + rest, first=len(here), pane=dash.pane.label)
        self.push_dialog(help_screen, lambda _: None)

    def action_health(self) -> None:
        from zen_tui.ui.screens.health import HealthScreen

        # a dialog: the health screen would cover it, still taking keys; here already: no copy
        if self._dialog_in_the_way() or isinstance(self.screen, HealthScreen):
            return
        services = self.configured_services()
        self.push_screen(HealthScreen(self.health_model, self.clock, services))

    def action_outbox(self) -> None:
        """The outbox view (over the dashboard or the health screen), as action_health."""
        from zen_tui.ui.screens.outbox import OutboxScreen

        if self._dialog_in_the_way() or isinstance(self.screen, OutboxScreen):
            return
        self.push_screen(OutboxScreen(self))

    def action_login(self, account: str | None = None) -> None:
        """The login screen, for `account` when given (else the user picks one)."""
        from zen_tui.ui.screens.login import LoginScreen, ui_flow

        if isinstance(self.screen, LoginScreen):
            return  # already here: not a second copy, and no notice
        flow = self.login_flow or ui_flow
        copy_key = self.key_for("login-copy-url")
        screen = LoginScreen(self.accounts, account=account, flow_factory=flow, copy_key=copy_key)
        self.push_dialog(screen, self._logged_in)

    def _logged_in(self, outcome: LoginOutcome | None) -> None:
        if outcome is None:
            return
        who = f" as {outcome.username}" if outcome.username else ""
        mine = [s.id for s in self.backend.sections if s.account == outcome.account]
        hint = "" if mine else "; list its sections in the config and restart to see them"
        self.notify(f"logged in to {outcome.account}{who}{hint}", timeout=10)
        self._use_login(outcome.account)

    def action_logout(self, account: str) -> None:
        """Forget the account's stored login, after a yes (see _log_out)."""
        from zen_tui.ui.screens.modals import ConfirmModal

        question = f"Log out of {account}? Its token is deleted from the OS keyring."

        def answered(yes: bool | None) -> None:
            if yes:
                self._log_out(account)

        self.push_dialog(ConfirmModal(question), answered)

    @work(group="login-takes-effect", exit_on_error=False)
    async def _log_out(self, account: str) -> None:
        """Delete the stored login (keyring, or this session's), then build the account again
        without it: its panes say "not logged in" at once, not at the next restart. A login
        from the environment or `gh` goes on being used: the notice says which."""
        from zen_tui.auth.keyring_store import KeyringCredentialStore, KeyringUnavailable

        try:
            removed = await KeyringCredentialStore().delete(account)
        except KeyringUnavailable as exc:  # a machine without one: its variable goes on
            said = f"could not log out of {account}: {exc}{await self._still_used(account)}"
            self.notify(said, severity="error")
            return
        said = f"logged out of {account}" if removed else f"{account} had no stored login"
        self.notify(said + await self._still_used(account), timeout=10)
        await self._take_effect(account, new_login=removed)  # none removed: nothing new

    async def _still_used(self, account: str) -> str:
        """'; it still uses $VAR' (or gh's login) when one outlives a logout, else ''."""
        from zen_tui.auth.status import login_status
        from zen_tui.ui.screens.login import SOURCE_NAMES

        config = next((a for a in self.accounts if a.name == account), None)
        still = await login_status(config) if config is not None else {}
        source = str(still.get("source") or "")
        if not (still.get("logged_in") and source):
            return ""
        named = f"${source[4:]}" if source.startswith("env:") else SOURCE_NAMES.get(source)
        return f"; it still uses {named or source}"

    @work(group="login-takes-effect", exit_on_error=False)
    async def _use_login(self, account: str) -> None:
        await self._take_effect(account)

    async def _take_effect(self, account: str, *, new_login: bool = True) -> None:
        """A new login (or a logout), at once: the account's client is built again with it
        (a Jira 3LO login's site with it), then its sections list again. No restart. It is
        recorded for every other running zen-tui too (new_login), even for the same user."""
        try:
            await self.backend.reconnect(account, new_login=new_login)
        except Exception as exc:  # its panes say why at their next poll
            self.notify(f"could not use the new login yet: {exc}", severity="warning")
        for section in self.backend.sections:
            if section.account == account:
                self._refresh_section(section.id)

    @work(group="refresh", exit_on_error=False)
    async def _refresh_section(self, section_id: str) -> None:
        try:
            await self.backend.refresh(section_id)
        except Exception as exc:
            self.notify(f"refresh failed: {exc}", severity="error")

    def key_for(self, binding_id: str) -> str:
        """The key(s) bound to `binding_id` now (the keymap applied), as people type them."""
        for b in all_bindings():
            if b.id == binding_id:
                return display_keys(self.keymap.get(binding_id, b.key))
        return "?"

    @work(group="refresh", exit_on_error=False)
    async def action_refresh_all(self) -> None:
        try:
            await self.backend.refresh(None)
        except Exception as exc:
            self.notify(f"refresh failed: {exc}", severity="error")

    def binding_rows(self) -> list[tuple[str, str, str]]:
        """(id, keys, description) for the help screen, with the user's keymap applied."""
        return [
            (b.id or "", self.keymap.get(b.id or "", b.key), b.description) for b in all_bindings()
        ]

    def help_rows(self) -> list[tuple[str, str, str]]:
        """binding_rows with keys as people type them: `]`, `?`, `/`."""
        return [(i, display_keys(k), d) for i, k, d in self.binding_rows()]

    def bound_keys(self) -> set[str]:
        """Keys that do something on the dashboard, with the keymap applied (as
        `key_char` names them), custom commands included."""
        keys = {key_char(k) for k in self._dashboard_keys()}
        keys.update(key_char(self.options.commands[n].key) for n in self.active_commands)
        return keys


_KEY_NAMES = {
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "question_mark": "?",
    "slash": "/",
}


def _as_health(screen: object) -> HealthScreen | None:
    """`screen` if it is the health screen, without loading that: until it first opens, its
    module is not loaded, and no screen can be one."""
    module = sys.modules.get("zen_tui.ui.screens.health")
    found: HealthScreen | None = None
    if module is not None and isinstance(screen, module.HealthScreen):
        found = screen
    return found


def _as_outbox(screen: object) -> OutboxScreen | None:
    """`screen` if it is the outbox view (its module loaded only once it first opens)."""
    module = sys.modules.get("zen_tui.ui.screens.outbox")
    found: OutboxScreen | None = None
    if module is not None and isinstance(screen, module.OutboxScreen):
        found = screen
    return found


def display_keys(keys: str) -> str:
    return ", ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def dashboard_bindings() -> list[Binding]:
    """The bindings active on the dashboard (the keys that do something there)."""
    return [*_bindings_together(), *[b for b in FilterInput.BINDINGS if isinstance(b, Binding)]]


def _bindings_together() -> list[Binding]:
    """The dashboard's bindings that are active at once (the item list's, the screen's, the
    app's); the filter's own apply only while typing in it."""
    found = [*ItemList.BINDINGS, *TRIAGE_BINDINGS, *APP_BINDINGS]
    return [b for b in found if isinstance(b, Binding)]


def all_bindings() -> list[Binding]:
    """Every binding that has an id, as declared (before the keymap): dashboard, then dialogs."""
    from zen_tui.ui.screens.dialog import AnswerInput, PickList
    from zen_tui.ui.screens.forms import FormModal, UserPickerModal
    from zen_tui.ui.screens.health import HealthScreen
    from zen_tui.ui.screens.info import HelpScreen, WelcomeScreen
    from zen_tui.ui.screens.login import LoginScreen
    from zen_tui.ui.screens.modals import (
        ConfirmModal,
        EditorModal,
        InputModal,
        IssueFormModal,
        PickerModal,
        QueryModal,
    )
    from zen_tui.ui.screens.outbox import OutboxScreen

    dialogs = (
        AnswerInput,  # a dialog's one-line answer and pick list: their `enter`
        PickList,
        EditorModal,
        InputModal,
        ConfirmModal,
        PickerModal,
        IssueFormModal,
        QueryModal,
        FormModal,  # Jira's create and edit fields form (its send is the editor's)
        UserPickerModal,  # Jira's assign to anyone
        HelpScreen,
        HealthScreen,
        OutboxScreen,
        LoginScreen,
    )
    seen = {b.id for b in dashboard_bindings()}
    found = dashboard_bindings()
    for screen in (*dialogs, WelcomeScreen):
        for b in screen.BINDINGS:
            if isinstance(b, Binding) and b.id not in seen:
                seen.add(b.id)
                found.append(b)
    return found


def quit_question(unsent: int, *, demo: bool) -> str:
    """What `q` asks when actions are not sent yet: where they go once zen-tui is closed."""
    what = "1 action is" if unsent == 1 else f"{unsent} actions are"
    if demo:
        fate = "the demo's simulated world ends with it, so they will never be sent"
    else:
        fate = (
            "they stay in the outbox (`zen-tui outbox` lists them) and go out when zen-tui "
            "next runs with the same login"
        )
    return f"{what} not sent yet; {fate}. Quit now?"
