"""In-app login: choose an account and a method, then follow the auth layer's LoginFlow.

Device flow shows the user code (not a secret) and the verification URL; OAuth shows the URL
while it waits for the browser; a token is typed into a password Input that never echoes and
is handed straight to the flow (never logged, never kept on the screen). The flow runs in a
worker; the keyring write is the auth layer's job. Dismisses with the account name on success.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from zen_tui.auth.states import (
    DeviceCodeShown,
    LoggedIn,
    LoginFailed,
    LoginState,
    SlowedDown,
    WaitingForBrowser,
)
from zen_tui.config import AccountConfig
from zen_tui.text_safety import clean
from zen_tui.ui.browser import open_in_browser
from zen_tui.ui.safe import plain
from zen_tui.ui.screens.dialog import AnswerInput, Dialog, PickList
from zen_tui.web_links import refusal

if TYPE_CHECKING:
    # The login stack (httpx, keyring, the OAuth flows) loads when this screen opens, not
    # with the app: the dashboard's first paint never needs it.
    from zen_tui.auth.login import LoginFlow

FlowFactory = Callable[[AccountConfig, str, str | None], "LoginFlow"]

METHOD_HELP = {
    "device": "device flow: enter a code on the website",
    "oauth": "approve in the browser (OAuth)",
    "token": "paste a token (hidden)",
}
KEYRING_CHOICES = (
    ("session", "keep the token for this session only (log in again next time)"),
    ("env", "use an environment variable instead"),
    ("install", "install a Secret Service (GNOME Keyring), then log in"),
)
INSTALL_HELP = (
    "install one (Debian/Ubuntu: sudo apt-get install gnome-keyring dbus-user-session), "
    "start it with `dbus-run-session -- sh` and `echo -n pw | gnome-keyring-daemon --unlock`, "
    "then run zen-tui from that shell (docs/login.md, Headless Linux)"
)
SOURCE_NAMES = {
    "gh": "the GitHub CLI's login",
    "keyring": "the login in the OS keyring",
    "demo": "the simulator's demo token",
}
# Offered when the config has no accounts yet: the public services (Jira needs its site URL).
DEFAULT_ACCOUNTS = (
    AccountConfig("github", "github", "https://api.github.com"),
    AccountConfig("slack", "slack", "https://slack.com/api"),
)


def ui_flow(account: AccountConfig, method: str, token: str | None) -> LoginFlow:
    """The screen opens the browser itself (App.open_url), so the flow never does."""
    from zen_tui.auth.login import LoginFlow

    return LoginFlow(account, method, token=token, open_browser=None)


class LoginOutcome(msgspec.Struct, frozen=True):
    account: str
    username: str | None


class LoginScreen(Dialog[LoginOutcome | None]):
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    LoginScreen OptionList { height: auto; max-height: 8; margin-bottom: 1; }
    LoginScreen #login-methods, LoginScreen #login-token, LoginScreen #login-keyring,
    LoginScreen #login-url { display: none; }
    LoginScreen #login-methods.-shown, LoginScreen #login-token.-shown,
    LoginScreen #login-keyring.-shown, LoginScreen #login-url.-shown { display: block; }
    LoginScreen #login-state { height: auto; margin-bottom: 1; }
    LoginScreen #login-source { height: auto; color: $text-muted; }
    /* the URL on one line (copy it with `c`), never wrapped inside the box */
    LoginScreen #login-url { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LoginScreen #login-state.-error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="login-cancel"),
        Binding("c", "copy_url", "Copy URL", id="login-copy-url"),
    ]

    def __init__(
        self,
        accounts: list[AccountConfig],
        *,
        account: str | None = None,
        flow_factory: FlowFactory = ui_flow,
        copy_key: str = "c",
    ) -> None:
        super().__init__()
        self.copy_key = copy_key  # the key copying the URL (the keymap may move it from c)
        self.configured = bool(accounts)
        self.accounts = accounts or list(DEFAULT_ACCOUNTS)
        self.preselected = account
        self.flow_factory = flow_factory
        self.account: AccountConfig | None = None
        self.method: str | None = None
        self.flow: LoginFlow | None = None
        self.states: list[LoginState] = []
        self.url: str | None = None  # the login URL on show, for `c`
        self.keyring_issue: str | None = None  # why a login could not be saved here
        self.session_only = False  # the user chose to keep the token for this run only
        self._probed = asyncio.Event()
        self._pending: str | None = None  # a pasted token waiting for the keyring choice
        self._busy = False  # a flow is running: a second enter must not start another

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Log in · esc cancels"
            if not self.configured:
                yield Label("No accounts in the config yet; log in to a public service:")
            yield PickList(*self._account_options(), id="login-accounts")
            yield Static(id="login-source")
            yield PickList(id="login-methods")
            yield PickList(*self._keyring_options(), id="login-keyring")
            yield AnswerInput(password=True, placeholder="paste the token, enter", id="login-token")
            yield Static(id="login-state")
            yield Static(id="login-url")

    @staticmethod
    def _keyring_options() -> list[Option]:
        return [Option(f"{key}: {text}", id=key) for key, text in KEYRING_CHOICES]

    @property
    def _configured(self) -> bool:
        return any(a not in DEFAULT_ACCOUNTS for a in self.accounts)

    def _account_options(self) -> list[Option]:
        return [  # the config's words: data, never markup
            Option(plain(f"{a.name}  ({a.service} · {a.base_url})"), id=a.name)
            for a in self.accounts
        ]

    def on_mount(self) -> None:
        names = [a.name for a in self.accounts]
        self._probe_keyring(self.preselected or names[0])
        if self.preselected in names:
            self._choose_account(self.accounts[names.index(self.preselected)])
        else:
            self.query_one("#login-accounts", OptionList).focus()

    @work(group="login-keyring", exit_on_error=False)
    async def _probe_keyring(self, account: str) -> None:
        """Before any flow starts: can a login be saved here? (It reads, never writes.)"""
        from zen_tui.auth.keyring_store import KeyringCredentialStore, keyring_problem

        try:
            self.keyring_issue = await keyring_problem(KeyringCredentialStore(), account)
        finally:
            self._probed.set()
        if self.keyring_issue and not self._busy:
            self._say(f"{self.keyring_issue.split(';')[0]}: a login cannot be saved here")

    # --- choosing --------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#login-accounts")
    def _account_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next(a for a in self.accounts if a.name == event.option.id)
        self._choose_account(chosen)

    def _choose_account(self, account: AccountConfig) -> None:
        from zen_tui.auth.login import method_choices

        self.account = account
        self.query_one("#login-accounts", OptionList).highlighted = self.accounts.index(account)
        methods = self.query_one("#login-methods", OptionList)
        methods.clear_options()
        choices = method_choices(account)
        usable = [m for m, reason in choices if reason is None]
        for method in usable:  # what can work here first; the first is the default
            mark = "  (default)" if method == usable[0] else ""
            methods.add_option(Option(f"{method}: {METHOD_HELP[method]}{mark}", id=method))
        for method, reason in choices:  # the others, greyed out, with why
            if reason is not None:
                label = plain(f"{method}: not available: {reason}")
                methods.add_option(Option(label, id=method, disabled=True))
        methods.add_class("-shown")
        methods.highlighted = 0
        methods.focus()
        self._say(f"{account.name}: choose how to log in")
        self._show_source(account)

    @work(group="login-source", exclusive=True, exit_on_error=False)
    async def _show_source(self, account: AccountConfig) -> None:
        """Which login the dashboard uses for this account now (never the token)."""
        from zen_tui.auth.status import login_status

        entry = await login_status(account)
        source = entry.get("source")
        if entry.get("logged_in") and source:
            text = f"{account.name} uses {SOURCE_NAMES.get(source, source)} now"
            if str(source).startswith("env:"):
                text = f"{account.name} uses ${source[4:]} now; it wins over a new login"
        else:
            text = f"{account.name} has no login yet"
        self.query_one("#login-source", Static).update(Text(clean(text)))

    @on(OptionList.OptionSelected, "#login-methods")
    def _method_selected(self, event: OptionList.OptionSelected) -> None:
        if self._busy:
            self.notify("a login is already running; esc cancels it")
            return
        self.method = event.option.id
        if self.method == "token":
            token = self.query_one("#login-token", Input)
            token.add_class("-shown")
            token.focus()
            self._say(f"paste the {self.account.service if self.account else ''} token, enter")
            return
        self._start(None)

    @on(Input.Submitted, "#login-token")
    def _token_submitted(self, event: Input.Submitted) -> None:
        token = event.value.strip()
        event.input.value = ""  # the token lives only in the flow from here on
        if not token:
            self._say("the token is empty: paste it, or press esc", error=True)
            return
        self._start(token)

    # --- no usable keyring: the choices, before any flow -----------------------------------

    @on(OptionList.OptionSelected, "#login-keyring")
    def _keyring_choice(self, event: OptionList.OptionSelected) -> None:
        from zen_tui.auth import ambient

        account = self.account
        if account is None:
            return
        if event.option.id == "session":
            self.session_only = True
            event.option_list.remove_class("-shown")
            token, self._pending = self._pending, None
            self._start(token)
        elif event.option.id == "env":
            names = [f"${v}" for v in ambient.env_vars(account)] + ["`token_env` in the config"]
            self._say(
                f"export the token as {' or '.join(names)} and start zen-tui again; "
                "`zen-tui auth status` then shows where it comes from"
            )
        else:
            self._say(INSTALL_HELP)

    # --- running the flow ----------------------------------------------------------------

    def _start(self, token: str | None) -> None:
        if self.account is None or self.method is None or self._busy:
            return
        self._busy = True
        self._start_when_saveable(token)

    @work(group="login", exclusive=True, exit_on_error=False)
    async def _start_when_saveable(self, token: str | None) -> None:
        from zen_tui.auth.keyring_store import SessionOnlyStore

        await self._probed.wait()
        account, method = self.account, self.method
        if account is None or method is None:
            self._busy = False
            return
        if self.keyring_issue and not self.session_only:
            self._busy = False
            self._pending = token  # kept in memory only until the user chooses
            self._say(f"{self.keyring_issue.split(';')[0]}: where should the login go?")
            choices = self.query_one("#login-keyring", OptionList)
            choices.add_class("-shown")
            choices.highlighted = 0
            choices.focus()
            return
        self.flow = self.flow_factory(account, method, token)
        if self.session_only:
            self.flow.store = SessionOnlyStore()
        self._say(f"{account.name}: logging in ({method})…")
        await self._run_flow(self.flow)

    async def _run_flow(self, flow: LoginFlow) -> None:
        try:
            async for state in flow.run():
                self.states.append(state)
                self._show(state)
                if isinstance(state, LoggedIn):
                    self.dismiss(LoginOutcome(state.account, state.username))
                    return
        except Exception as exc:  # the flow's own errors arrive as LoginFailed; this is a bug
            self._say(f"login stopped: {type(exc).__name__}", error=True)
        finally:
            self._busy = False  # ended (failed or cancelled): a new attempt may start

    def _show(self, state: LoginState) -> None:
        if isinstance(state, DeviceCodeShown):
            self._open(state.verification_uri, from_server=True)
            text = Text.assemble(  # the server's code: Text (not markup), cleaned
                # `c` copies the address, not the code: "(c copies it)" read as the code
                f"Enter this code at the address below ({self.copy_key} copies the address):"
                "\n\n    ",
                (clean(state.user_code), "bold reverse"),
                f"\n\nwaiting for your approval (expires in {state.expires_in / 60:.0f} min)",
            )
            self._state(text)
            self._show_url(state.verification_uri)
        elif isinstance(state, WaitingForBrowser):
            opened = self._open(state.url)
            lead = "waiting for the browser" if opened else "open this URL on this machine"
            self._state(Text(f"{lead} ({self.copy_key} copies it):"))
            self._show_url(state.url)
        elif isinstance(state, SlowedDown):
            self.notify(f"the server asked to poll every {state.interval:.0f}s")
        elif isinstance(state, LoginFailed):
            self._say(f"login failed: {state.reason}", error=True)
        elif isinstance(state, LoggedIn):
            who = f" as {state.username}" if state.username else ""
            self._say(f"logged in to {state.account}{who}")

    def _show_url(self, url: str) -> None:
        """The URL on one line of its own, whole (no wrap to copy across): `c` copies it."""
        self.url = clean(url)
        box = self.query_one("#login-url", Static)
        box.update(Text(self.url, style="underline", no_wrap=True, overflow="ellipsis"))
        box.add_class("-shown")

    def action_copy_url(self) -> None:
        if self.url is None:
            self.notify("no login URL to copy yet")
            return
        self.app.copy_to_clipboard(self.url)  # OSC 52: works over ssh too
        self.notify("copied the login URL")

    def _open(self, url: str, from_server: bool = False) -> bool:
        """Open `url`. The device flow's comes from the server: only if it is the service's
        own web page (the OAuth URL is built here, from the config)."""
        account = self.account
        if from_server and account is not None:
            refused = refusal(url, account.service, account.base_url)
            if refused:
                self.notify(refused, severity="warning")
                return False
        return open_in_browser(self.app, url)

    def _say(self, text: str, error: bool = False) -> None:
        self._state(Text(clean(text, multiline=True)), error)  # server reasons: plain Text

    def _state(self, text: Text, error: bool = False) -> None:
        """Show the flow's state; an error in the theme's $error colour (TCSS, not a name)."""
        box = self.query_one("#login-state", Static)
        box.set_class(error, "-error")
        box.update(text)

    def action_cancel(self) -> None:
        if self.flow is not None:
            self.flow.cancel()
        self.dismiss(None)
