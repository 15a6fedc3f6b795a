"""Unit tests for the UI's pure parts: triage rules, the health model, themes, filtering."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace
from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from tests.fakes.backend import DEFAULT_SECTIONS, FakeBackend, make_items, with_health
from tests.helpers import github_breaker_opened
from zen_tui.gateway.events import (
    BreakerChanged,
    QuotaUpdated,
    RequestDone,
    RetryEnded,
    RetryScheduled,
)
from zen_tui.models import Action, ActionState, Reaction
from zen_tui.sync.backend import ActionUpdated, OutboxCounted
from zen_tui.ui import triage
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.safe import _same, show
from zen_tui.ui.themes import BUNDLED_DIR, ThemeError, load_theme, load_theme_dirs
from zen_tui.ui.widgets.gateway import gauge, render_status
from zen_tui.ui.widgets.row_filter import filter_rows, haystack

PRS = make_items(DEFAULT_SECTIONS[0], 5)
GH_ISSUES = make_items(DEFAULT_SECTIONS[2], 3)
JIRA = make_items(DEFAULT_SECTIONS[3], 3)
MSGS = make_items(DEFAULT_SECTIONS[4], 3)


# --- triage ----------------------------------------------------------------------------------


def test_each_command_builds_one_action_per_item() -> None:
    actions = triage.build("label", list(PRS[:2]), "bug")
    assert actions == [Action("add_label", p.id, "gh", {"label": "bug"}) for p in PRS[:2]]
    assert triage.build("transition", [JIRA[0]], "Done")[0].params == {"transition": "Done"}
    assert triage.build("assign", [JIRA[0]])[0].params == {}  # the service resolves "me"
    assert triage.build("reply", [MSGS[0]], "hi")[0].params == {"body": "hi"}
    assert triage.build("react", [MSGS[0]], "eyes")[0].kind == "react"


@pytest.mark.parametrize(
    ("command", "items", "needle"),
    [
        ("merge", [MSGS[0]], "merge applies to open pull requests"),
        ("transition", [GH_ISSUES[0]], "transition applies to Jira issues"),
        ("reply", [PRS[0]], "reply applies to Slack messages"),
        ("close", [JIRA[0]], "use t, transition"),
        ("approve", [PRS[0], MSGS[0]], "1 of 2 selected items"),
        ("approve", [], "nothing selected"),
    ],
)
def test_invalid_combinations_say_why(command: str, items: list, needle: str) -> None:
    with pytest.raises(triage.NotApplicable, match=needle.replace("(", r"\(")):
        triage.build(command, items)


def test_merge_refuses_a_merged_pr() -> None:
    merged = msgspec.structs.replace(PRS[0], state="merged")
    with pytest.raises(triage.NotApplicable):
        triage.check("merge", [merged])


def test_a_merge_is_built_by_the_method_asked_and_no_other() -> None:
    """The method comes from the repository's settings (ui/screens/merge_flow): never a
    silent default, which GitHub refuses where merge commits are off."""
    [action] = triage.build("merge", [PRS[0]], "squash")
    assert action.params == {"merge_method": "squash"}
    for bad in ("", "fast"):
        with pytest.raises(triage.NotApplicable, match="merge by one of merge, squash, rebase"):
            triage.build("merge", [PRS[0]], bad)


def test_close_toggles_to_reopen_on_closed_items() -> None:
    closed = msgspec.structs.replace(GH_ISSUES[0], status="closed")
    assert triage.build("close", [closed])[0].kind == "reopen"
    assert triage.build("close", [GH_ISSUES[0]])[0].kind == "close"


def test_optimistic_views() -> None:
    pr = PRS[0]
    labelled = triage.optimistic(pr, Action("add_label", pr.id, "gh", {"label": "zz"}))
    assert labelled.labels[-1] == "zz" and pr.labels == PRS[0].labels
    assert triage.optimistic(pr, Action("merge", pr.id, "gh")).state == "merged"
    moved = triage.optimistic(
        JIRA[0], Action("transition", JIRA[0].id, "jira", {"transition": "Done"})
    )
    assert moved.status == "Done"
    assert triage.optimistic(MSGS[0], Action("react", MSGS[0].id, "slack")) == MSGS[0]
    rocket = triage.optimistic(MSGS[0], Action("react", MSGS[0].id, "slack", {"name": "rocket"}))
    assert [(r.name, r.count, r.me) for r in rocket.reactions if r.name == "rocket"] == [
        ("rocket", 1, True)
    ]
    again = triage.optimistic(rocket, Action("react", MSGS[0].id, "slack", {"name": "rocket"}))
    assert again == rocket  # already mine
    back = triage.optimistic(rocket, Action("unreact", MSGS[0].id, "slack", {"name": "rocket"}))
    assert back == MSGS[0]  # my one reaction taken back: gone from the row


def test_choosing_my_own_reaction_again_takes_it_back() -> None:
    """As in Slack: `e` with an emoji every selected message has from me removes it; a
    selection where some lack it adds it (to those), never removing from the rest."""
    mine = replace(MSGS[0], reactions=(Reaction("eyes", 3, me=True), Reaction("tada", 1)))
    other = replace(MSGS[1], reactions=(Reaction("eyes", 2, me=True),))
    [back] = triage.build("react", [mine], "eyes")
    assert back == Action("unreact", mine.id, "slack", {"name": "eyes"})
    assert [a.kind for a in triage.build("react", [mine, other], "eyes")] == ["unreact"] * 2
    assert [a.kind for a in triage.build("react", [mine, MSGS[2]], "eyes")] == ["react"] * 2
    assert triage.build("react", [mine], "tada")[0].kind == "react"  # someone else's tada
    shown = triage.optimistic(mine, back)
    assert shown.reactions == (Reaction("eyes", 2, me=False), Reaction("tada", 1))


# --- health model ----------------------------------------------------------------------------


def _done(status: int | None, cache: str = "miss", at: float = 100.0, **kw: object) -> RequestDone:
    return RequestDone(
        service="github",
        account="gh",
        method="GET",
        endpoint="/repos/{owner}/{repo}/pulls",
        status=status,
        latency=0.2,
        cache=cache,
        attempts=kw.pop("attempts", 1),
        at=at,
        **kw,  # type: ignore[arg-type]
    )


def test_health_model_counts_cache_retries_and_errors() -> None:
    model = HealthModel()
    model.apply(_done(200, "hit"))
    model.apply(_done(304, "revalidated"))
    model.apply(_done(200, "miss"))
    model.apply(
        RetryScheduled(
            service="github",
            account="gh",
            method="GET",
            endpoint="/x",
            attempt=1,
            wait=2.0,
            reason="503",
        )
    )
    s = model.status("github")
    assert (s.retries_in_flight, s.retries_total, s.last_wait) == (1, 1, 2.0)
    model.apply(_done(503, "stale", attempts=2, error="503 after 2 attempts"))
    model.apply(RetryEnded(service="github", account="gh", method="GET", endpoint="/x", retries=1))
    assert s.retries_in_flight == 0
    assert s.hit_ratio == pytest.approx(2 / 4)
    ep = model.endpoints[("github", "GET", "/repos/{owner}/{repo}/pulls")]
    assert (ep.count, ep.hits, ep.errors, ep.last_status) == (3, 1, 1, 503)  # a hit sent nothing
    assert model.errors[-1].error == "503 after 2 attempts"


def test_health_model_breakers_quota_and_outbox() -> None:
    model = HealthModel()
    model.apply(
        BreakerChanged(
            service="jira", account="j", name="jira", old="closed", new="open", half_open_at=130.0
        )
    )
    model.apply(
        BreakerChanged(service="jira", account="j", name="jira:/search", old="closed", new="open")
    )
    jira = model.status("jira")
    assert (jira.breaker, jira.half_open_at) == ("open", 130.0)
    assert [t.name for t in model.breaker_log] == ["jira", "jira:/search"]
    model.apply(
        QuotaUpdated(
            service="github",
            account="gh",
            scope="core",
            tokens=5,
            capacity=10,
            remaining=42,
            reset_at=500.0,
        )
    )
    gh = model.status("github")
    assert (gh.tokens, gh.capacity, gh.remaining) == (5, 10, 42)
    # the store's figures per account (OutboxCounted), summed per service; an action's
    # events count nothing: the engine reads the figures after each
    for state in (ActionState.PENDING, ActionState.SENDING, ActionState.FAILED):
        model.apply(
            ActionUpdated(
                service="github",
                account="gh",
                action_id="a1",
                item_id="i",
                kind="merge",
                state=state,
            )
        )
    assert (gh.outbox_pending, gh.outbox_failed) == (0, 0)
    model.apply(OutboxCounted(service="github", account="gh", pending=3, failed=1))
    model.apply(OutboxCounted(service="github", account="gh2", pending=2, failed=0))
    model.apply(OutboxCounted(service="jira", account="j", pending=5, failed=5))
    assert (gh.outbox_pending, gh.outbox_failed) == (5, 1)
    model.apply(OutboxCounted(service="github", account="gh", pending=0, failed=2))
    assert (gh.outbox_pending, gh.outbox_failed) == (2, 2)  # replaced, not added
    assert (jira.outbox_pending, jira.outbox_failed) == (5, 5)


def test_rate_series_buckets_requests_per_second() -> None:
    model = HealthModel()
    for at in (100.0, 101.0, 102.0, 106.0):
        model.apply(_done(200, at=at))
    series = model.status("github").rate_series(now=109.0)
    assert series[-2:] == [3 / 5, 1 / 5]


def test_seed_starts_from_backend_health() -> None:
    model = HealthModel()
    model.seed(FakeBackend().health())
    assert model.status("slack").capacity == 50.0


def test_seeded_outbox_figures_are_replaced_by_the_engines_not_added_to() -> None:
    backend = FakeBackend()
    with_health(backend, "github", outbox_pending=4, outbox_failed=1)
    model = HealthModel()
    model.seed(backend.health())
    gh = model.status("github")
    assert (gh.outbox_pending, gh.outbox_failed) == (4, 1)
    account = next(h.account for h in backend.health() if h.service == "github")
    model.apply(OutboxCounted(service="github", account=account, pending=0, failed=2))
    assert (gh.outbox_pending, gh.outbox_failed) == (0, 2)


def test_card_shows_countdown_to_half_open() -> None:
    model = github_breaker_opened(145.0)
    text = render_status(model.status("github"), now=100.0).plain
    assert "open, 45s left" in text
    assert gauge(5, 10, 4) == "▰▰▱▱"


def _quota(scope: str, paused_until: float | None = None, service: str = "github") -> QuotaUpdated:
    return QuotaUpdated(
        service=service,
        account="a",
        scope=scope,
        tokens=5,
        capacity=10,
        paused_until=paused_until,
    )


def test_card_shows_a_rate_limit_pause_and_how_long_is_left() -> None:
    model = HealthModel()
    for scope in ("core", "search", "graphql"):
        model.apply(_quota(scope))
    model.apply(_quota("graphql", paused_until=100.0 + 14 * 60))  # a stored one, at the build
    text = render_status(model.status("github"), now=100.0).plain
    assert "core   ▰▰▰▱▱▱ 5" in text  # the first line as ever
    assert "graphq paused 14m" in text  # the paused one takes the second line
    assert "paused" not in render_status(model.status("github"), now=100.0 + 15 * 60).plain
    model.apply(_quota("tier3:chat.postMessage", paused_until=160.0, service="slack"))
    assert "tok paused 1m" in render_status(model.status("slack"), now=100.0).plain


# --- themes ----------------------------------------------------------------------------------


def test_bundled_themes_load() -> None:
    themes, problems = load_theme_dirs([BUNDLED_DIR])
    assert problems == []
    assert {"zen-dark", "zen-light", "zen-high-contrast"} <= {t.name for t in themes}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("name = \n", "cannot read it"),
        ('primary = "#fff"\n', 'missing "name"'),
        ('name = "x"\n', 'missing "primary"'),
        ('name = "x"\nprimary = "#fff"\ncolour = "red"\n', "unknown key 'colour'"),
        ('name = "x"\nprimary = "nope"\n', "is not a colour"),
        ('name = "x"\nprimary = "#fff"\ndark = "yes"\n', '"dark" must be true or false'),
        pytest.param("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply", id="deep"),
        pytest.param("x = " + "7" * 5000 + "\n", "integer longer than", id="long-int"),
    ],
)
def test_bad_theme_files_name_file_and_problem(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ThemeError) as info:
        load_theme(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_user_folder_overrides_and_reports(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "zen-dark"\nprimary = "#010203"\n')
    (tmp_path / "b.toml").write_text("oops")
    themes, problems = load_theme_dirs([BUNDLED_DIR, tmp_path, tmp_path / "missing"])
    assert next(t for t in themes if t.name == "zen-dark").primary == "#010203"
    assert len(problems) == 1 and "b.toml" in problems[0]


# --- filtering -------------------------------------------------------------------------------


def test_filter_matches_every_word_case_insensitively_and_narrows() -> None:
    items = make_items(DEFAULT_SECTIONS[0], 200)
    hays = [haystack(i) for i in items]
    some = filter_rows(hays, "ZEN/TUI")
    assert some and all("zen/tui" in items[n].key for n in some)
    narrower = filter_rows(hays, "zen/tui bug", some)
    assert narrower == filter_rows(hays, "zen/tui bug")
    assert all("bug" in items[n].labels or "bug" in items[n].title.lower() for n in narrower)
    assert filter_rows(hays, "") == list(range(200))


# --- redraws -----------------------------------------------------------------------------


def test_show_skips_a_repeat_but_not_a_change_of_style() -> None:
    static = Static(first := Content("3 live"))
    show(static, Content("3 live"))
    assert static.content is first  # nothing to redraw
    show(static, restyled := Content.styled("3 live", "bold"))  # Content's == says equal
    assert static.content is restyled


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (Text("3 live"), True),
        (Text("3 live", style="bold"), False),
        (Text("3 live", no_wrap=True), False),
        (Text.assemble("3 ", ("live", "green")), False),
        (Content("3 live"), False),
    ],
)
def test_text_is_the_same_only_with_the_same_styles(other: Text | Content, same: bool) -> None:
    assert _same(Text("3 live"), other) is same  # what a card (rich Text) redraws on
