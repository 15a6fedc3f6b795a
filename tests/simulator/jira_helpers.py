"""Helpers for the Jira look-alike tests: its REST root, the seeded login and Basic auth."""

from __future__ import annotations

import base64

API = "/rest/api/3"
EMAIL = "me@example.com"
TOKEN = "sim-jira-token"
NOW = 1_790_000_000.0  # the Jira tests' clock stands here


def basic(email: str = EMAIL, token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()}
