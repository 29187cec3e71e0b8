"""The review queue with a learned ranker: its order and its reason, shown beside the rules' tags."""

from __future__ import annotations

from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.runtime.pipeline import ranker_path
from advocacy.tagging.learning import save_model
from advocacy.tagging.ranker import Example, train
from advocacy.tagging.tagger import BillInput, Tagger
from tests.websupport import seed_bill, text_of

APPROVED = ["Revise the school funding formula", "Regards school foundation funding", "Regards school levies",
            "Regards pupil transportation", "Regards teacher licensure", "Regards the school calendar"]
DISMISSED = ["Regards fishing licenses", "Designate the state amphibian", "Regards liquor permits",
             "Regards boat registration fees", "Regards notaries public", "Designate a memorial highway",
             "Regards fireworks sales", "Regards pet grooming permits", "Regards hunting seasons",
             "Regards fishing tournaments", "Regards tattoo parlors", "Regards lottery advertising",
             "Regards drone flights", "Regards beekeeping"]


def test_queue_is_ordered_by_the_learned_ranker_and_shows_its_reason(app: App, advocate: TestClient) -> None:
    seed_bill(app, app.now())
    assert "Highest score first" in text_of(advocate.get("/queue").text)  # no model yet: the rules' order
    rules = Tagger.from_config(app.config.tagging)
    rows = [(t, True) for t in APPROVED] + [(t, False) for t in DISMISSED]
    examples = [Example(f"OH HB {n}", BillInput(state="OH", session="136", bill=f"HB {n}", title=t), ok)
                for n, (t, ok) in enumerate(rows, start=1)]
    training = train(examples, rules)
    assert training.ranker is not None
    save_model(ranker_path(app.config), training.ranker, app.now())
    page = text_of(advocate.get("/queue").text)
    assert "Most likely to be approved first, by the learned ranker" in page
    assert "learned ranker " in page and "you approved" in page
