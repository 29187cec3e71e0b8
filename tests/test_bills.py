from __future__ import annotations

from datetime import UTC, datetime

import pytest

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.curation.lookup import AmbiguousBill, BillNotFound, find_bill, label
from vocabulary.records import BillRecord, ScrapeResult

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def bill(identifier: str, title: str, session: str = "136", jurisdiction: str = "OH") -> BillRecord:
    return BillRecord(jurisdiction=jurisdiction, session=session, identifier=identifier, title=title)


@pytest.fixture
def stored(app: App) -> App:
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="test", now=NOW).store_result(ScrapeResult(bills=(
            bill("HB 33", "Make operating appropriations for the biennium", session="135"),
            bill("HB 33", "Revise the school bus inspection schedule"),
            bill("HB 96", "Revise the school foundation funding formula"),
            bill("SB 1", "Reform the governance of the state board of education"),
            bill("HJR 2", "Propose an amendment on property tax levies"),
        )))
        ma = ensure_jurisdiction(session, "MA", "Massachusetts", "America/New_York")
        Store(session, ma, source="test", now=NOW).store_result(ScrapeResult(bills=(
            bill("H 4100", "An Act relative to school building assistance", session="194", jurisdiction="MA"),
            bill("SB 1", "An Act relative to the state seal", session="194", jurisdiction="MA"),
        )))
    return app


@pytest.mark.parametrize("text", ["HB 33", "H.B. 33", "hb33", "House Bill 33", "H. B. No. 33", "Am. Sub. H.B. 33",
                                  "OH HB 33", "oh 136 hb 33", "OH 136 House Bill 33"])
def test_every_spelling_finds_the_bill_in_the_latest_session(stored: App, text: str) -> None:
    with stored.sessions() as session:
        found = find_bill(session, text)
        assert (label(found), found.title) == ("OH 136 HB 33", "Revise the school bus inspection schedule")


def test_an_older_session_is_found_when_named(stored: App) -> None:
    with stored.sessions() as session:
        assert find_bill(session, "OH 135 HB 33").title == "Make operating appropriations for the biennium"
        assert find_bill(session, "hb 33", jurisdiction="OH", session_id="135").session.identifier == "135"
        older = find_bill(session, "OH 135 HB 33")
        assert find_bill(session, "HB 33", session_id=older.session_id).id == older.id


def test_resolutions_and_other_states_prefixes(stored: App) -> None:
    with stored.sessions() as session:
        assert label(find_bill(session, "House Joint Resolution 2")) == "OH 136 HJR 2"
        assert label(find_bill(session, "H.4100")) == "MA 194 H 4100"
        assert label(find_bill(session, "HD 4100", aliases={"HD": "H"})) == "MA 194 H 4100"


def test_the_same_number_in_two_states_asks_which(stored: App) -> None:
    with stored.sessions() as session:
        with pytest.raises(AmbiguousBill, match=r"MA 194 SB 1, OH 136 SB 1"):
            find_bill(session, "S.B. 1")
        assert label(find_bill(session, "S.B. 1", jurisdiction="ma")) == "MA 194 SB 1"


def test_unknown_number_suggests_close_identifiers(stored: App) -> None:
    with stored.sessions() as session, pytest.raises(BillNotFound) as caught:
        find_bill(session, "HB 333", jurisdiction="OH")
    message = str(caught.value)
    assert message.startswith("no bill 'HB 333' in OH; did you mean HB 33 (Revise the school bus")
    assert caught.value.suggestions[0].startswith("HB 33 ")


def test_words_instead_of_a_number_suggest_bills_by_title(stored: App) -> None:
    with stored.sessions() as session, pytest.raises(BillNotFound) as caught:
        find_bill(session, "foundation fundng formula", jurisdiction="OH")
    assert caught.value.suggestions[0] == "HB 96 (Revise the school foundation funding formula)"


def test_nothing_close_gives_a_plain_message(stored: App) -> None:
    with stored.sessions() as session, pytest.raises(BillNotFound) as caught:
        find_bill(session, "XYZ 98765", jurisdiction="OH", session_id="135")
    assert str(caught.value) == "no bill 'XYZ 98765' in OH 135"
