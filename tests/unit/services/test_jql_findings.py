"""What Jira's /jql/parse said, as the empty section's reason: plain one-line text (a server's
words are data: a terminal escape in them is shown, never run), any other shape is nothing."""

from __future__ import annotations

from typing import Any

import pytest

from zen_tui.models import Freshness, FreshnessState
from zen_tui.services.jira import _findings
from zen_tui.ui.widgets.pane import _empty_text

BOBB = "The value 'bobb' does not exist for the field 'assignee'."


def test_warnings_then_errors_on_one_line() -> None:
    body = {
        "queries": [{"query": "q", "errors": ["Field 'x' does not exist."], "warnings": [BOBB]}]
    }
    assert _findings(body) == f"{BOBB} Field 'x' does not exist."


def test_terminal_control_in_the_servers_words_is_made_visible() -> None:
    said = _findings({"queries": [{"query": "q", "warnings": ["bad \x1b[31mred\x1b[0m\nline"]}]})
    assert "\x1b" not in said and "\n" not in said and "red" in said


def test_a_long_answer_is_cut_as_a_refused_querys_reason_is() -> None:
    said = _findings({"queries": [{"query": "q", "warnings": [BOBB] * 10}]})
    assert said == BOBB  # each message once
    said = _findings({"queries": [{"query": "q", "warnings": [f"{n} {BOBB}" for n in range(9)]}]})
    assert len(said) == 200 and said.endswith("...")


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"queries": []},
        {"queries": ["x"]},
        {"queries": [{"query": "q"}]},
        {"queries": [{"warnings": "not a list"}]},
        {"queries": [{"warnings": ["  "]}]},
    ],
)
def test_no_findings_or_another_shape_is_nothing(body: Any) -> None:
    assert _findings(body) == ""


def test_the_pane_says_a_live_sections_note_else_no_items() -> None:
    note = f"no issues; Jira says: {BOBB}"
    assert _empty_text(Freshness(FreshnessState.LIVE, 1.0, note)) == note
    assert _empty_text(Freshness(FreshnessState.LIVE, 1.0)) == "no items"
    assert _empty_text(Freshness(FreshnessState.EMPTY, None, "offline")) == "offline"


def test_the_syntax_tree_of_a_clean_query_says_nothing() -> None:
    """Jira answers a clean query with its syntax tree (`structure`, of the spec's example
    answer, its strings and all): no finding, so nothing is said, and the tree's words
    ("test", "urgent", ...) are never taken for one. Beside findings, only they count."""
    import json
    from pathlib import Path

    examples = Path(__file__).parents[2] / "contracts" / "jira-cloud-platform" / "examples"
    answer = json.loads((examples / "POST_jql_parse.200.json").read_text())
    clean = answer["queries"][0]
    assert "structure" in clean and not clean.get("errors") and not clean.get("warnings")
    assert _findings({"queries": [clean]}) == ""
    warned = {**clean, "warnings": [BOBB]}
    assert _findings({"queries": [warned]}) == BOBB
