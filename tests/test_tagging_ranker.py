"""The learned ranker: trained on the advocate's decisions, beside the rules, always with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.app import App
from advocacy.cli import cli
from advocacy.config import load_config
from advocacy.runtime import steps
from advocacy.runtime.pipeline import make_tagger, ranker_path
from advocacy.tagging.learning import RankedTagger, learn, load_model, retrain_due, save_model
from advocacy.tagging.ranker import Example, Ranker, train
from advocacy.tagging.rules import load_tagging
from advocacy.tagging.tagger import BillInput, Tagger, explain_json
from tests.factories import FakeClock, curate_bill, funding_bill, scrape

ROOT = Path(__file__).resolve().parent.parent

WIDGETS = ["Create the Buckeye Widget Program", "Fund Buckeye Widget grants for rural counties",
           "Regards Buckeye Widget Program audits", "Extend the Buckeye Widget Program sunset",
           "Buckeye Widget Program reporting changes", "Buckeye Widget Program eligibility",
           "Regards the Buckeye Widget Program board", "Buckeye Widget Program appeals"]
OTHERS = ["Regards fishing licenses", "Designate the state amphibian", "Regards hunting seasons for deer",
          "Regards liquor permits", "Regards boat registration fees", "Regards notaries public",
          "Designate a memorial highway", "Regards fireworks sales", "Regards pet grooming permits",
          "Regards fishing tournaments"]
SCHOOLS = ["Regards school bus stop-arm cameras", "Revise the school funding formula",
           "Regards teacher licensure", "Regards school district levies"]


@pytest.fixture(scope="module")
def rules() -> Tagger:
    return Tagger.from_config(load_tagging(ROOT / "config.toml"))


def _bill(number: int, title: str) -> BillInput:
    return BillInput(state="OH", session="136", bill=f"HB {number}", title=title)


def _decisions() -> list[Example]:
    approved = WIDGETS[:6] + SCHOOLS
    rows = [(t, True) for t in approved] + [(t, False) for t in OTHERS]
    return [Example(f"OH HB {n}", _bill(n, t), ok) for n, (t, ok) in enumerate(rows, start=1)]


def test_too_few_decisions_leave_the_rules_alone_and_say_why(rules: Tagger) -> None:
    training = train(_decisions()[:6], rules)
    assert training.ranker is None
    assert training.message.startswith("6 decision(s) (6 approved, 0 dismissed); the ranker needs 20")


def test_it_raises_a_bill_the_rules_missed_naming_approved_bills_and_words(rules: Tagger) -> None:
    training = train(_decisions(), rules, raise_at=0.6)
    assert training.ranker is not None and "held_out" in training.metrics
    bill = _bill(99, "Expand the Buckeye Widget Program to urban counties")
    found = rules.assess(bill)
    assert not found.relevant
    suggestion = training.ranker.suggest(bill, found)
    assert suggestion.raised, suggestion
    assert "(raised: the rules missed it)" in suggestion.reason
    assert "you approved" in suggestion.reason and "OH HB " in suggestion.reason
    assert "'buckey widget'" in suggestion.reason or "'widget program'" in suggestion.reason, suggestion.reason
    fishing = _bill(98, "Regards fishing license fees")
    assert not training.ranker.suggest(fishing, rules.assess(fishing)).raised


def test_the_ranked_tagger_never_removes_a_bill_the_rules_found_and_explains_itself(rules: Tagger) -> None:
    ranker = train(_decisions(), rules, raise_at=0.6).ranker
    assert ranker is not None
    ranked = RankedTagger(rules, ranker)
    school = {"state": "OH", "session": "136", "bill": "HB 7", "title": "Regards pupil transportation"}
    result = explain_json(school, ranked)
    assert result["relevant"] is True
    assert any(r.startswith("learned ranker ") for r in result["reasons"])
    widget = explain_json({**school, "title": "Expand the Buckeye Widget Program"}, ranked)
    assert widget["relevant"] is True
    assert [t["tag"] for t in widget["tags"]] == ["ranker"]
    assert widget["tags"][0]["label"] == "Raised by the learned ranker"


def test_the_model_is_plain_numbers_and_scores_the_same_after_a_round_trip(rules: Tagger, tmp_path: Path,
                                                                            clock: FakeClock) -> None:
    ranker = train(_decisions(), rules).ranker
    assert ranker is not None
    path = tmp_path / "ranker.json"
    save_model(path, ranker, clock())
    json.loads(path.read_text())  # JSON, not a pickle
    stored = load_model(path)
    assert stored is not None and stored.trained_at == clock()
    bill = _bill(5, "Fund Buckeye Widget grants")
    assert stored.ranker.probability(bill, rules.assess(bill)) == pytest.approx(ranker.probability(bill, rules.assess(bill)))
    assert not retrain_due(path, clock(), 7) and retrain_due(path, clock.advance(days=8), 7)
    path.write_text("{}")
    with pytest.raises(ValueError, match="ranker.json: not a ranker model"):
        load_model(path)


def test_a_ranker_model_missing_a_field_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not readable"):
        Ranker.from_json({"vocabulary": {}})


def _store_decisions(app: App, clock: FakeClock) -> None:
    rows = [(t, True) for t in WIDGETS[:6] + SCHOOLS] + [(t, False) for t in OTHERS]
    records = [funding_bill(identifier=f"HB {n}", title=t, synopsis="", subjects=(), committee="")
               for n, (t, _) in enumerate(rows, start=1)]
    scrape(app, clock(), records)
    for n, (_, ok) in enumerate(rows, start=1):
        curate_bill(app, f"HB {n}", clock(), status="approved" if ok else "dismissed")


def test_learning_from_stored_decisions_stores_a_model_the_tagger_then_uses(sqlite_app: App, clock: FakeClock) -> None:
    app = sqlite_app
    path = ranker_path(app.config)
    with app.transaction() as session:
        few = learn(session, Tagger.from_config(app.config.tagging), path, clock())
    assert few.ranker is None and not path.exists()
    assert not isinstance(make_tagger(app.config), RankedTagger)
    _store_decisions(app, clock)
    with app.transaction() as session:
        training = learn(session, Tagger.from_config(app.config.tagging), path, clock())
    assert training.ranker is not None and training.metrics["decisions"] == 20
    assert set(training.metrics["held_out"]) >= {"precision", "recall"}
    assert isinstance(make_tagger(app.config), RankedTagger)
    clock.advance(days=app.config.tagging.ranker.retrain_days)
    result = steps.tag(app)
    assert result.counts.get("retrained") == 1 and result.note.startswith("trained on 20 decision(s)")


def test_tag_learn_reports_held_out_numbers_and_explain_then_shows_the_ranker(config_path: Path,
                                                                              clock: FakeClock) -> None:
    def run(*args: str, stdin: str = "") -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--config", str(config_path), *args], input=stdin)
        return result.exit_code, result.output

    assert run("db", "upgrade")[0] == 0
    code, out = run("tag", "learn")
    assert code == 0 and "0 decision(s)" in out and "no model stored" in out
    app = App(load_config(config_path, env={}), clock=clock)
    _store_decisions(app, clock)
    app.engine.dispose()
    code, out = run("tag", "learn")
    assert code == 0, out
    assert "trained on 20 decision(s) and 0 corpus bill(s)" in out
    assert "held-out decisions (4-fold): rules + ranker precision" in out and "rules alone precision" in out
    bill = {"state": "OH", "session": "136", "bill": "HB 50", "title": "Create the Buckeye Widget Program"}
    code, out = run("tag", "explain", "--json", stdin=json.dumps(bill))
    assert code == 0, out
    assert any(r.startswith("learned ranker ") for r in json.loads(out)["reasons"])
    code, out = run("tag", "learn", "--corpus", str(config_path.parent / "nowhere"))
    assert code == 2 and "--corpus" in out
