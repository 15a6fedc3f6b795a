"""Shared fixtures. Paths to the read-only API contracts live beside the repo in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _contracts_dir() -> Path:
    for candidate in (REPO.parent / "shared" / "contracts", REPO / "contracts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("API contracts not found: expected ../shared/contracts beside the repo")


@pytest.fixture(scope="session")
def contracts() -> Path:
    return _contracts_dir()
