from __future__ import annotations

import pytest

from zen_tui.auth.pkce import Pkce, new_state, new_verifier, s256_challenge


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_new_verifiers_are_valid_and_distinct() -> None:
    first, second = new_verifier(), new_verifier()
    assert first != second
    assert len(first) == 43
    assert len(s256_challenge(first)) == 43  # accepted by the validity check


@pytest.mark.parametrize("bad", ["short", "x" * 129, "a" * 42 + " ", "ä" * 43])
def test_invalid_verifiers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="43-128"):
        s256_challenge(bad)


def test_pkce_hides_its_verifier_and_states_differ() -> None:
    pkce = Pkce()
    assert pkce.verifier not in repr(pkce)
    assert pkce.challenge == s256_challenge(pkce.verifier)
    assert new_state() != new_state()
