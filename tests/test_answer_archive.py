"""The Q&A archive on the staff side: a new question shows past answers to similar ones (the same bill, shared
words), the advocate answers with one in a click, and the answers are searchable."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import Question
from advocacy.outbound.portal import similar_answers
from tests.websupport import post_form, seed_call_questions, seed_members, text_of


def _seed(app: App) -> dict[str, int]:
    now = app.now()
    seed_members(app, now)
    seed_call_questions(app, now)
    with app.transaction() as session:
        rows = {
            "guarantee": Question(text="Is the funding guarantee ending for districts like ours?", status="answered",
                                  answer_notes="Only after FY2027, in the House version.",
                                  answered_at=now - timedelta(days=30), created_at=now - timedelta(days=40)),
            "bill": Question(text="What does it do to levies?", bill_identifiers=["HB 96"], status="answered",
                             answer_notes="Nothing: levies are in SB 52.", answered_at=now - timedelta(days=20),
                             created_at=now - timedelta(days=25)),
            "unrelated": Question(text="When is the spring conference?", status="answered",
                                  answer_notes="April 14 in Columbus.", answered_at=now - timedelta(days=10),
                                  created_at=now - timedelta(days=12)),
            "new_bill_question": Question(text="Will HB 96 pass the Senate?", bill_identifiers=["HB 96"],
                                          status="open", created_at=now),
        }
        session.add_all(rows.values())
        session.flush()
        ids = {name: q.id for name, q in rows.items()}
        ids["funding"] = session.query(Question).filter(Question.text.like("Will the funding guarantee%")).one().id
        return ids


def test_similar_past_answers_come_by_shared_words_and_by_the_same_bill(app: App) -> None:
    ids = _seed(app)
    with app.sessions() as session:
        by_words = similar_answers(session, session.get(Question, ids["funding"]))
        by_bill = similar_answers(session, session.get(Question, ids["new_bill_question"]))
    assert [q.id for q in by_words] == [ids["guarantee"]]
    assert [q.id for q in by_bill][0] == ids["bill"]
    assert ids["unrelated"] not in [q.id for q in by_words + by_bill]


def test_the_advocate_answers_a_new_question_with_a_past_answer(app: App, advocate: TestClient) -> None:
    ids = _seed(app)
    page = text_of(advocate.get("/questions").text)
    assert "Answered before:" in page and "Only after FY2027, in the House version." in page
    response = post_form(advocate, "/questions", f"/questions/{ids['funding']}/reuse", {"answer": ids["guarantee"]})
    assert response.status_code == 303  # type: ignore[attr-defined]
    with app.sessions() as session:
        answered = session.get(Question, ids["funding"])
        assert answered is not None
        assert (answered.status, answered.answer_notes) == ("answered", "Only after FY2027, in the House version.")
    refused = post_form(advocate, "/questions", f"/questions/{ids['new_bill_question']}/reuse",
                        {"answer": ids["new_bill_question"]})  # an open question is no answer
    assert refused.status_code == 303  # type: ignore[attr-defined]
    with app.sessions() as session:
        assert session.get(Question, ids["new_bill_question"]).status == "open"  # type: ignore[union-attr]


def test_staff_search_the_answers(app: App, advocate: TestClient) -> None:
    _seed(app)
    found = text_of(advocate.get("/questions?q=conference").text)
    answers = found[found.index("Answers mentioning"):]
    assert "April 14 in Columbus." in answers and "Only after FY2027" not in answers
