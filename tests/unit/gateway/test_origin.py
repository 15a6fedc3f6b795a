"""The one origin rule for server-supplied URLs (zen_tui.gateway.origin.within_base)."""

from __future__ import annotations

import pytest

from zen_tui.gateway.errors import OffOrigin
from zen_tui.gateway.origin import origin_of, within_base

BASE = "https://sim.test:8443/github"


@pytest.mark.parametrize(
    "url",
    [
        "/search/issues?page=2",  # relative: joined under the base by the client
        "https://sim.test:8443/github/search/issues?page=2",
        "HTTPS://SIM.TEST:8443/github",
        "https://sim.test:8443/github/",
    ],
)
def test_urls_inside_the_base_pass(url: str) -> None:
    assert within_base(BASE, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://other.test:8443/github/search",  # another host
        "https://sim.test:9999/github/search",  # another port
        "http://sim.test:8443/github/search",  # another scheme
        "https://sim.test/github/search",  # default port 443 is not 8443
        "https://sim.test:8443/githubx/search",  # a prefix of the path is not the path
        "https://sim.test:8443/jira/search",
        "https://sim.test:8443/github/../jira/x",  # dot segments escape the prefix
        "/../jira/x",
        "//other.test/github/x",  # scheme-relative: another host
        "https://user:pw@sim.test:8443/github/x",
        "https://sim.test:8443\\@other.test/github",
        "https://sim.test:notaport/github",
    ],
)
def test_urls_outside_the_base_are_refused(url: str) -> None:
    assert not within_base(BASE, url)


def test_default_ports_match_their_scheme() -> None:
    assert within_base("https://api.github.com", "https://api.github.com:443/search/issues")
    assert within_base("https://api.github.com", "https://api.github.com/repositories/1/x")
    assert not within_base("https://api.github.com", "https://api.github.com.evil.test/x")


def test_origin_of_names_no_path_or_query() -> None:
    assert origin_of("http://127.0.0.1:9/a/b?token=x") == "http://127.0.0.1:9"


async def test_a_dot_segment_path_is_refused_before_sending(make_gateway, router) -> None:
    # A label named ".." would make DELETE .../labels/.. hit the issue itself once normalised.
    gateway = make_gateway()
    route = router.route().respond(200)
    with pytest.raises(OffOrigin) as info:
        await gateway.request("DELETE", "/repos/o/r/issues/1/labels/..")
    assert not route.called and "a path outside this account's base URL" in str(info.value)
