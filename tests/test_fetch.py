from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from scrapers.http import Fetcher, FetchError, MemoryValidatorStore, remember
from tests.httpserver import Answer, FakeTime, FixtureServer, make_fetcher


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


def test_payload_keeps_body_hash_validators_and_time(server: FixtureServer) -> None:
    server.route("/feed", Answer(body=b"<rss/>", content_type="application/rss+xml", etag='"a1"', last_modified="Mon, 03 Mar 2025 10:00:00 GMT"))
    time = FakeTime()
    payload = make_fetcher(time=time).fetch(server.url("/feed"))
    assert payload.status == 200
    assert payload.body == b"<rss/>"
    assert payload.sha256 == hashlib.sha256(b"<rss/>").hexdigest()
    assert payload.content_type == "application/rss+xml"
    assert (payload.etag, payload.last_modified) == ('"a1"', "Mon, 03 Mar 2025 10:00:00 GMT")
    assert payload.fetched_at == time.start
    assert not payload.not_modified


def test_user_agent_names_service_and_contact(server: FixtureServer) -> None:
    server.route("/x", Answer(body=b"ok"))
    make_fetcher().fetch(server.url("/x"))
    assert server.requests_to("/x")[0].headers["user-agent"] == "advocacy-tests/0.1 (+alerts@example.org)"


def test_fetcher_refuses_to_run_without_a_contact() -> None:
    with pytest.raises(ValueError, match="contact"):
        Fetcher(service="advocacy", contact="nobody")


def test_server_error_is_retried_with_backoff_then_succeeds(server: FixtureServer) -> None:
    server.route("/bills", Answer(status=500), Answer(status=503), Answer(body=b"[]"))
    time = FakeTime()
    payload = make_fetcher(time=time, backoff=2.0, min_interval=0.0).fetch(server.url("/bills"))
    assert payload.body == b"[]"
    assert server.statuses() == [500, 503, 200]
    assert time.sleeps == [2.0, 4.0]


def test_retry_after_seconds_is_honoured(server: FixtureServer) -> None:
    server.route("/slow", Answer(status=429, headers=(("Retry-After", "17"),)), Answer(body=b"ok"))
    time = FakeTime()
    make_fetcher(time=time, min_interval=0.0).fetch(server.url("/slow"))
    assert time.sleeps == [17.0]


def test_retry_after_http_date_is_honoured(server: FixtureServer) -> None:
    # FakeTime starts at 2025-03-03 14:00:00 UTC; the server asks for 14:00:30.
    server.route("/slow", Answer(status=503, headers=(("Retry-After", "Mon, 03 Mar 2025 14:00:30 GMT"),)), Answer(body=b"ok"))
    time = FakeTime()
    make_fetcher(time=time, min_interval=0.0).fetch(server.url("/slow"))
    assert time.sleeps == [30.0]


def test_retry_after_longer_than_allowed_fails_at_once(server: FixtureServer) -> None:
    server.route("/slow", Answer(status=429, headers=(("Retry-After", "7200"),)), Answer(body=b"ok"))
    time = FakeTime()
    with pytest.raises(FetchError, match="wait 7200s") as info:
        make_fetcher(time=time, max_wait=120.0).fetch(server.url("/slow"))
    assert info.value.status == 429
    assert time.sleeps == []


def test_persistent_server_error_raises_fetch_error_naming_url_status_attempts(server: FixtureServer) -> None:
    server.route("/down", Answer(status=502))
    url = server.url("/down")
    with pytest.raises(FetchError) as info:
        make_fetcher(retries=2).fetch(url)
    assert (info.value.url, info.value.status, info.value.attempts) == (url, 502, 3)
    assert url in str(info.value) and "502" in str(info.value) and "3 attempt" in str(info.value)


def test_client_error_is_not_retried(server: FixtureServer) -> None:
    with pytest.raises(FetchError) as info:
        make_fetcher().fetch(server.url("/missing"))
    assert info.value.status == 404
    assert info.value.attempts == 1
    assert len(server.log) == 1


def test_connection_error_is_retried_then_reported() -> None:
    # A port that was just released: nothing listens there.
    with FixtureServer() as closed:
        url = closed.url("/gone")
    time = FakeTime()
    with pytest.raises(FetchError) as info:
        make_fetcher(time=time, retries=2, min_interval=0.0).fetch(url)
    assert info.value.status is None
    assert info.value.attempts == 3
    assert time.sleeps == [2.0, 4.0]


def test_requests_to_one_host_are_spaced_by_the_minimum_interval(server: FixtureServer) -> None:
    server.route("/a", Answer(body=b"a"))
    time = FakeTime()
    fetcher = make_fetcher(time=time, min_interval=1.5)
    fetcher.fetch(server.url("/a"))
    fetcher.fetch(server.url("/a"))
    fetcher.fetch(server.url("/a"))
    assert time.sleeps == [1.5, 1.5]


def test_conditional_get_answers_not_modified_after_validators_are_remembered(server: FixtureServer) -> None:
    server.route("/cal", Answer(body=b"[1]", etag='"v1"', last_modified="Mon, 03 Mar 2025 10:00:00 GMT"))
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = fetcher.fetch(server.url("/cal"))
    # Not remembered yet (the caller had not stored the records): the next fetch is a full one.
    assert fetcher.fetch(server.url("/cal")).status == 200
    assert remember(store, [first]) == 1
    second = fetcher.fetch(server.url("/cal"))
    assert second.not_modified and second.status == 304 and second.body == b""
    sent = server.requests_to("/cal")[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 03 Mar 2025 10:00:00 GMT"


def test_unconditional_fetch_ignores_remembered_validators(server: FixtureServer) -> None:
    server.route("/cal", Answer(body=b"[1]", etag='"v1"'))
    store = MemoryValidatorStore()
    store.put(server.url("/cal"), '"v1"', None)
    payload = make_fetcher(validators=store).fetch(server.url("/cal"), conditional=False)
    assert payload.body == b"[1]"
    assert "if-none-match" not in server.requests_to("/cal")[0].headers


def test_secret_params_reach_the_server_but_not_the_payload(server: FixtureServer) -> None:
    server.route("/api", Answer(body=b"{}"))
    payload = make_fetcher().fetch(server.url("/api"), params={"op": "getBill", "id": "7"}, secret_params={"key": "s3cret"})
    assert server.requests_to("/api")[0].query == {"op": ["getBill"], "id": ["7"], "key": ["s3cret"]}
    assert "s3cret" not in payload.url
    assert payload.url == server.url("/api?op=getBill&id=7")
