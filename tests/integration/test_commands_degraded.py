"""Headless commands when a service degrades (real simulator, real SQLite): `list` says why
its items are not fresh, `health` shows a Deprecation header as a warning line."""

import argparse
import json

from zen_tui.commands import health, list_items, sync


def sync_once(settings) -> None:
    sync.run(argparse.Namespace(once=True), settings)


def list_json(settings, capsys, pane: str = "prs") -> list[dict]:
    assert list_items.run(argparse.Namespace(pane=pane, json=True, account=None), settings) == 0
    return json.loads(capsys.readouterr().out)["sections"]


def test_list_carries_the_last_sync_reason_until_live_again(sim, settings, capsys) -> None:
    sync_once(settings)
    capsys.readouterr()
    assert all(
        s["freshness"]["reason"] == "from the local store" for s in list_json(settings, capsys)
    )

    sim.set_faults([{"service": "github", "outage": True}])
    sync_once(settings)
    capsys.readouterr()
    sections = list_json(settings, capsys)
    for s in sections:
        fresh = s["freshness"]
        assert fresh["state"] == "local" and fresh["reason"].startswith("last sync: "), fresh
        assert "503" in fresh["reason"] or "breaker" in fresh["reason"], fresh
        assert s["items"], "the stored items are still listed"
    assert all(
        s["freshness"]["reason"] == "from the local store"
        for s in list_json(settings, capsys, "messages")
    )

    sim.clear_faults()
    sync_once(settings)
    capsys.readouterr()
    assert all(
        s["freshness"]["reason"] == "from the local store" for s in list_json(settings, capsys)
    )


def test_health_text_shows_a_deprecation_warning(sim, settings, capsys) -> None:
    sim.set_faults(
        [
            {
                "service": "github",
                "deprecation": "@1767225600",
                "sunset": "Wed, 01 Jul 2026 00:00:00 GMT",
            }
        ]
    )
    sync_once(settings)
    capsys.readouterr()
    assert health.run(argparse.Namespace(json=False), settings) == 0
    out = capsys.readouterr().out
    github = sim.account("github").name
    lines = out.split(f"{github} (github)", 1)[1].splitlines()[1:]
    block = [line for line in lines[: next(i for i, x in enumerate(lines) if x[:1] != " ")]]
    assert any(x.startswith("  warning   GET /search/issues is deprecated") for x in block), out
    others = out.split(f"{github} (github)", 1)[0] + "\n".join(lines[len(block) :])
    assert "warning" not in others  # only the service whose responses said so
