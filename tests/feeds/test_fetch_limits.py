"""A calendar source's URL cannot make the server read its own network."""

from __future__ import annotations

import pytest

from facility.feeds.fetch import FetchError, fetch


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/holidays.ics",  # this host
        "http://localhost:9/holidays.ics",
        "http://10.1.2.3/holidays.ics",  # the hospital's network
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]:9/holidays.ics",
    ],
)
def test_addresses_inside_the_network_are_refused_before_connecting(url):
    with pytest.raises(FetchError) as refused:
        fetch(url, max_bytes=1024, timeout=1)
    assert refused.value.code == "private_address"
    assert "inside the network" in refused.value.message


def test_allowed_private_addresses_are_fetched():
    """With the switch on (as in the tests' own local servers) the request is made: here it
    meets a closed port and says so."""
    with pytest.raises(FetchError) as refused:
        fetch("http://127.0.0.1:9/holidays.ics", max_bytes=1024, timeout=1, allow_private=True)
    assert refused.value.code == "unreachable"


def test_a_redirect_into_the_network_is_refused_too(monkeypatch):
    """Each hop is checked: a public address that redirects inside is stopped at the redirect."""
    import facility.feeds.fetch as module

    class Redirect:
        is_redirect = True
        headers = {"Location": "http://127.0.0.1:9/secret"}

        def close(self):
            pass

    def only_example_org_is_public(url):  # no DNS in the tests: example.org stands for the internet
        if "example.org" not in url:
            raise FetchError("private_address", "inside the network")

    monkeypatch.setattr(module, "check_public", only_example_org_is_public)
    monkeypatch.setattr(module, "_get", lambda *args: Redirect())
    with pytest.raises(FetchError) as refused:
        fetch("http://calendar.example.org/holidays.ics", max_bytes=1024, timeout=1)
    assert refused.value.code == "private_address"
