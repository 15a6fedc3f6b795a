"""A seeded fault script: every step, each service gets a new random fault (or none)."""

from __future__ import annotations

import random
from typing import Any

SERVICES = ("github", "jira", "slack")
# Hangs stay well under the gateway's 15 s read timeout; 429 storms ask for short waits.
MENU: tuple[dict[str, Any], ...] = (
    {},
    {},
    {"error_rate": 0.6, "statuses": [500, 502, 503]},
    {"reset_rate": 0.4},
    {"hang_rate": 0.3, "hang_seconds": 1.5},
    {"rate_limit_rate": 0.9, "retry_after": 1},
    {"malformed_rate": 0.4},
    {"truncated_rate": 0.3},
    {"latency_ms": 150, "jitter": "uniform", "jitter_ms": 400},
    {"outage": True},
    {"outage": True, "outage_mode": "reset"},
)


def fault_step(rng: random.Random) -> list[dict[str, Any]]:
    """One step of the script: a rule (or none) per service, sometimes only for writes."""
    rules = []
    for service in SERVICES:
        rule = dict(rng.choice(MENU))
        if not rule:
            continue
        if rng.random() < 0.25:
            rule["method"] = "POST"
        if "malformed_rate" in rule and service != "slack":
            # GitHub/Jira writes take a non-JSON 200 as done (known bug, pinned by
            # test_garbled_write.py); garble only their reads until it is fixed.
            rule["method"] = "GET"
        rules.append({"service": service, **rule})
    return rules


def step_seconds(rng: random.Random) -> float:
    return rng.uniform(1.0, 2.0)
