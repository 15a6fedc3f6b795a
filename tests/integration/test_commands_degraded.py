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


def test_a_refused_token_from_token_env_says_to_fix_that_variable(
    sim, settings, capsys, monkeypatch, file_keyring
) -> None:
    """A token from `token_env` beats any `zen-tui auth login`, so when Jira (401) or Slack
    (HTTP 200 `invalid_auth`) refuses it, "log in again" cannot help: the sections and the
    outbox name the variable to fix instead, and never print the token."""
    from msgspec.structs import replace

    from zen_tui.commands import act

    env = {"jira": "ZEN_T_JIRA", "slack": "ZEN_T_SLACK"}
    bogus = {"jira": "not-a-jira-token", "slack": "not-a-slack-token"}
    accounts = [
        replace(a, token=None, token_env=env[a.service]) if a.service in env else a
        for a in settings.accounts
    ]
    for service, var in env.items():
        monkeypatch.setenv(var, bogus[service])
    settings = replace(settings, accounts=accounts)
    assert sync.run(argparse.Namespace(once=True), settings) == sync.DEGRADED
    out = capsys.readouterr().out
    for service, var in env.items():
        [account] = [a.name for a in accounts if a.service == service]
        lines = [line for line in out.splitlines() if f"[{account}]" in line]
        assert lines and f"the token in ${var} was refused" in lines[0], out
        assert "log in" not in "\n".join(lines)
    assert "(401)" in out and "(Slack says invalid_auth)" in out
    [jira] = [a.name for a in accounts if a.service == "jira"]
    key = sorted(sim.world.services["jira"].issues)[0]
    queued = argparse.Namespace(kind="comment", item=f"{jira}:{key}", params={"body": "hi"})
    act.run(queued, settings)
    said = capsys.readouterr()
    assert "the token in $ZEN_T_JIRA was refused (401); set a working one there" in said.out
    assert not any(token in out + said.out + said.err for token in bogus.values())
