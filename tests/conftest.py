"""Shared fixtures. The API contract data the tests read is vendored in tests/contracts/
(provenance and licences in tests/contracts/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parent / "contracts"


@pytest.fixture(scope="session")
def contracts() -> Path:
    return CONTRACTS
