"""No token in any error string or event, whatever goes wrong."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.gateway import GatewayError
from zen_tui.gateway.credentials import Credential

from .conftest import TOKEN, settings_for

SCENARIOS = [
    ("401", httpx.Response(401, json={"message": "Bad credentials"})),
    ("404", httpx.Response(404, json={"message": "Not Found"})),
    ("410", httpx.Response(410)),
    ("429", httpx.Response(429, headers={"Retry-After": "5"})),
    ("503", httpx.Response(503)),
    ("connect", httpx.ConnectError("refused")),
    ("timeout", httpx.ReadTimeout("slow")),
]


@pytest.mark.parametrize(("name", "outcome"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
async def test_no_token_in_errors_or_events(router, make_gateway, recorder, name, outcome):
    router.get("/z").mock(side_effect=[outcome] * 5)
    gw = make_gateway(settings_for(max_attempts=2, max_server_wait=1))
    with pytest.raises(GatewayError) as info:
        await gw.request("GET", "/z")
    err = info.value
    for text in (str(err), err.detail(), repr(err), repr(err.__cause__), repr(err.__context__)):
        assert TOKEN not in text
    assert recorder.events
    for event in recorder.events:
        assert TOKEN not in repr(event)


async def test_no_basic_auth_secret_in_errors(router, make_gateway):
    router.get("/rest/api/3/myself").respond(401)
    gw = make_gateway(
        settings_for("jira"),
        service="jira",
        account="jira:site",
        credential=Credential("ATATTsecret42", username="me@x"),
    )
    with pytest.raises(GatewayError) as info:
        await gw.request("GET", "/rest/api/3/myself")
    assert "ATATTsecret42" not in info.value.detail()
    assert "ATATTsecret42" not in repr(Credential("ATATTsecret42", "me@x"))
