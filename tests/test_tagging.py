from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advocacy.tagging.rules import TaggingConfig, TaggingRuleError, load_tagging, parse_tagging
from advocacy.tagging.tagger import BillInput, Tagger, explain_jsonl, explain_text, split_lead
from vocabulary.records import BillRecord, SponsorRecord

ROOT = Path(__file__).resolve().parent.parent


def _rules(**overrides: Any) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "threshold": 1.0,
        "tag_threshold": 0.5,
        "fields": {"title": 1.0, "synopsis": 0.6, "subjects": 0.5, "committee": 0.5, "analysis": 0.3},
        "topics": {
            "levies": {
                "label": "School district taxes and levies",
                "phrases": ["levy", "school district income tax", "income tax"],
                "exclude": ["township"],
                "committees": ["House Ways and Means"],
                "sponsors": ["Jane Quill"],
            },
            "funding": {"label": "School funding", "phrases": ["foundation funding", "state aid"]},
            "k12": {"label": "K-12", "context": True, "weight": 0.5, "phrases": ["school district"]},
        },
        "exclusions": {
            "higher_ed": {
                "label": "only higher education",
                "unless_score": 1.5,
                "phrases": ["state university", "community college"],
            }
        },
        "committees": {"House Primary and Secondary Education": 0.8, "Higher Education": -0.5, "House Ways and Means": 0},
        "watch": ["OH 136 HB 96"],
    }
    rules.update(overrides)
    return rules


def _tagger(**overrides: Any) -> Tagger:
    return Tagger.from_config(TaggingConfig.model_validate(_rules(**overrides)))


def _bill(title: str, **fields: Any) -> BillInput:
    return BillInput(state="OH", session="136", bill=fields.pop("bill", "HB 1"), title=title, **fields)


def test_phrase_in_title_is_relevant_with_a_readable_reason() -> None:
    result = _tagger().assess(_bill("Regards foundation funding"))
    assert result.relevant
    assert result.score == 1.0
    assert [(t.tag, t.label, t.reasons) for t in result.tags] == [
        ("funding", "School funding", ["'foundation funding' in title"])
    ]


def test_reason_quotes_the_inflected_text_and_every_field() -> None:
    result = _tagger().assess(_bill("Regards school levies", synopsis="To limit levies."))
    (tag,) = result.tags
    assert tag.reasons == ["'levies' in title and synopsis"]
    assert tag.score == 1.0  # counted once, at its best field


def test_shorter_phrase_inside_a_longer_match_is_not_counted_again() -> None:
    result = _tagger().assess(_bill("Regards the school district income tax"))
    levies = next(t for t in result.tags if t.tag == "levies")
    assert levies.reasons == ["'school district income tax' in title"]
    assert levies.score == 1.0


def test_score_below_threshold_is_not_relevant_and_says_so() -> None:
    result = _tagger().assess(_bill("Regards agencies", synopsis="To provide state aid."))
    assert result.score == 0.6
    assert not result.relevant
    assert "score 0.60 is below the threshold 1" in result.reasons
    assert [t.tag for t in result.tags] == ["funding"]  # still explained


def test_threshold_is_inclusive_and_configurable() -> None:
    bill = _bill("Regards agencies", synopsis="To provide state aid.")
    assert _tagger(threshold=0.6).assess(bill).relevant
    assert not _tagger(threshold=0.61).assess(bill).relevant


def test_tag_threshold_hides_weak_topics() -> None:
    result = _tagger(tag_threshold=0.7).assess(_bill("Regards foundation funding", synopsis="And state aid."))
    assert [t.tag for t in result.tags] == ["funding"]
    result = _tagger(tag_threshold=0.7).assess(_bill("Regards agencies", synopsis="To limit a levy."))
    assert result.tags == []


def test_referral_to_education_committee_adds_score_with_reason() -> None:
    bill = _bill("Regards agencies", synopsis="To provide state aid.", committee="House Primary & Secondary Education Committee")
    result = _tagger().assess(bill)
    assert result.relevant
    assert result.score == pytest.approx(1.4)
    assert result.reasons[0] == "referred to House Primary & Secondary Education Committee"


def test_committee_named_without_chamber_matches_either_chamber_but_not_a_longer_name() -> None:
    tagger = _tagger()
    against = tagger.assess(_bill("Regards foundation funding", committee="Senate Higher Education"))
    assert "referred to Senate Higher Education (counts against)" in against.reasons
    assert against.score == 0.5
    unrelated = tagger.assess(_bill("Regards foundation funding", committee="Senate Education"))
    assert not any(r.startswith("referred to") for r in unrelated.reasons)


def test_topic_committee_and_sponsor_add_to_that_topic() -> None:
    bill = _bill(
        "Regards agencies", committee="House Ways and Means", sponsors=["Rep. Jane Quill (R-Eastfield)", "Bo Chen"]
    )
    (tag,) = _tagger().assess(bill).tags
    assert tag.tag == "levies"
    assert tag.reasons == ["referred to House Ways and Means", "sponsored by Rep. Jane Quill (R-Eastfield)"]
    assert tag.score == 1.0


def test_watch_list_bill_is_relevant_without_any_phrase() -> None:
    result = _tagger().assess(_bill("Make operating appropriations", bill="H.B. 96"))
    assert result.relevant
    assert result.reasons[0] == "on the watch list"
    assert not _tagger().assess(_bill("Make operating appropriations", bill="HB 97")).relevant


def test_higher_education_only_bill_is_excluded() -> None:
    bill = _bill("Regards state universities", synopsis="To change state aid to state universities.")
    result = _tagger().assess(bill)
    assert not result.relevant
    assert "excluded: 'state universities' in title, only higher education" in result.reasons


def test_strong_k12_evidence_overrides_the_exclusion() -> None:
    bill = _bill(
        "Regards foundation funding for school districts", synopsis="And dual credit at a community college."
    )
    result = _tagger().assess(bill)
    assert result.relevant
    assert any(r.startswith("not excluded for 'community college' in synopsis") for r in result.reasons)


def test_excluded_bill_stays_excluded_even_above_threshold_when_evidence_is_weak() -> None:
    result = _tagger(threshold=0.5).assess(_bill("Regards foundation funding at a state university"))
    assert result.score == 1.0
    assert not result.relevant


def test_topic_exclude_stops_its_phrases_in_that_field_only() -> None:
    bill = _bill("Regards township fire levies", synopsis="Also any levy of a school district.")
    result = _tagger().assess(bill)
    levies = next(t for t in result.tags if t.tag == "levies")
    assert levies.reasons == ["'levy' in synopsis"]
    assert "'levies' in title not counted for School district taxes and levies: 'township' in title" in result.reasons


def test_context_topic_adds_score_but_is_never_a_tag() -> None:
    result = _tagger().assess(_bill("Regards school districts", synopsis="To provide state aid."))
    assert result.score == pytest.approx(1.1)
    assert result.relevant
    assert [t.tag for t in result.tags] == ["funding"]
    assert "'school districts' in title (K-12 wording)" in result.reasons


def test_subjects_are_matched_one_by_one() -> None:
    result = _tagger().assess(_bill("Regards agencies", subjects=["State", "Aid"]))
    assert result.tags == []
    result = _tagger().assess(_bill("Regards agencies", subjects=["State aid", "Budget"]))
    assert [t.reasons for t in result.tags] == [["'State aid' in subjects"]]


def test_to_json_has_the_documented_shape() -> None:
    result = _tagger().assess(_bill("Regards school district levies", committee="House Ways and Means"))
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) == {"relevant", "score", "reasons", "tags"}
    assert data["relevant"] is True
    assert isinstance(data["score"], float)
    assert data["tags"][0] == {
        "tag": "levies",
        "label": "School district taxes and levies",
        "score": 1.5,
        "reasons": ["'levies' in title", "referred to House Ways and Means"],
    }


def test_bill_input_from_record_carries_every_field() -> None:
    record = BillRecord(
        jurisdiction="OH",
        session="136",
        identifier="HB 12",
        title="T",
        synopsis="S",
        committee="C",
        subjects=("Education",),
        sponsors=(SponsorRecord("Jane Quill"),),
        analysis_text="A",
    )
    assert BillInput.from_record(record) == BillInput(
        "OH", "136", "HB 12", "T", "S", ("Education",), "C", ("Jane Quill",), "A"
    )


def test_explain_jsonl_reports_bad_lines_and_goes_on() -> None:
    good = json.dumps({"state": "OH", "session": 136, "bill": "HB 5", "title": "Regards foundation funding"})
    lines = [good, "", "{not json", json.dumps({"state": "OH", "session": "136", "bill": "HB 6"}), good]
    out = [json.loads(line) for line in explain_jsonl(lines, _tagger())]
    assert [o.get("bill") for o in out] == ["HB 5", None, None, "HB 5"]
    assert out[0]["relevant"] is True and out[0]["session"] == "136"
    assert out[1]["line"] == 3 and "Expecting" in out[1]["error"]
    assert out[2] == {"line": 4, "error": "field 'title' is missing"}


def test_explain_rejects_mistyped_fields() -> None:
    bad = json.dumps({"state": "OH", "session": "136", "bill": "HB 5", "title": "T", "subjects": "Education"})
    (out,) = explain_jsonl([bad], _tagger())
    assert json.loads(out) == {"line": 1, "error": "field 'subjects' must be a list of strings"}


def test_explain_text_lists_every_reason() -> None:
    tagger = _tagger()
    bill = _bill("Regards foundation funding", committee="House Primary and Secondary Education")
    text = explain_text(bill, tagger.assess(bill), tagger.config.threshold)
    assert text.splitlines() == [
        "OH 136 HB 1: relevant (score 1.80, threshold 1)",
        "  - referred to House Primary and Secondary Education",
        "  School funding [funding] 1.00",
        "    - 'foundation funding' in title",
    ]


# -- invalid rules --------------------------------------------------------------------------------------------


def _error(rules: dict[str, Any]) -> str:
    with pytest.raises(TaggingRuleError) as caught:
        parse_tagging(rules, "config.toml")
    return str(caught.value)


def test_empty_phrase_names_topic_and_position() -> None:
    rules = _rules()
    rules["topics"]["funding"]["phrases"] = ["state aid", "  "]
    assert _error(rules) == "config.toml: [tagging] topics.funding.phrases: item 1: phrase is empty"


def test_phrase_without_words_names_topic_and_phrase() -> None:
    rules = _rules()
    rules["topics"]["levies"]["exclude"] = ["--"]
    assert "topics.levies.exclude: item 0: phrase '--' has no letters or digits" in _error(rules)


def test_phrases_equal_after_stemming_are_rejected() -> None:
    rules = _rules()
    rules["topics"]["funding"]["phrases"] = ["levy", "levies"]
    assert "topics.funding.phrases: phrases 'levy' and 'levies' are the same after stemming" in _error(rules)


def test_weighted_phrase_with_bad_weight_names_its_key() -> None:
    rules = _rules()
    rules["topics"]["funding"]["phrases"] = [{"text": "state aid", "weight": 0}]
    assert "topics.funding.phrases.0.weight: Input should be greater than 0" in _error(rules)


def test_unknown_key_is_named() -> None:
    rules = _rules()
    rules["topics"]["funding"]["phrase"] = ["state aid"]
    assert "topics.funding.phrase: Extra inputs are not permitted" in _error(rules)


def test_wrong_type_is_named() -> None:
    assert "[tagging] threshold: Input should be a valid number" in _error(_rules(threshold="high"))


def test_bad_slug_and_bad_watch_entry_are_named() -> None:
    rules = _rules()
    rules["topics"]["Bad Slug"] = rules["topics"].pop("funding")
    assert "topics: 'Bad Slug' is not a slug" in _error(rules)
    assert "[tagging] watch: 'OH HB 96' is not 'STATE SESSION BILL'" in _error(_rules(watch=["OH HB 96"]))
    assert "[tagging] watch: 'OH 136 Bill Q': not a bill number" in _error(_rules(watch=["OH 136 Bill Q"]))


def test_load_names_the_file_when_section_is_missing_or_toml_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[other]\nx = 1\n")
    with pytest.raises(TaggingRuleError, match="config.toml: no \\[tagging\\] section"):
        load_tagging(path)
    path.write_text("[tagging\n")
    with pytest.raises(TaggingRuleError, match="config.toml: not valid TOML"):
        load_tagging(path)


# -- the default rules ---------------------------------------------------------------------------------------


def test_default_rules_load_and_cover_the_required_topics() -> None:
    config = load_tagging(ROOT / "config.toml")
    required = {
        "funding", "accountability", "choice", "special_ed", "transportation", "staffing", "licensure",
        "pay_retirement", "taxes_levies", "safety_discipline", "literacy_curriculum", "student_health",
        "governance", "early_childhood", "cte", "meals", "facilities",
    }  # fmt: skip
    assert required <= set(config.topics)


@pytest.mark.parametrize(
    ("title", "synopsis", "relevant", "reason"),
    [
        ("Regards tax abatements", "To require notice to the school district.", True, "'tax abatements' in title"),
        ("Regards state universities", "To cap tuition.", False, "excluded: 'state universities' in title, only higher education"),
        ("Regards hunting licenses", "To reduce the fee for a youth hunting license.", False, None),
        ("Regards cosmetology schools", "To revise licensure of cosmetology schools.", False,
         "excluded: 'cosmetology schools' in title, only private career or trade schools"),
    ],
)  # fmt: skip
def test_default_rules_on_typical_bills(title: str, synopsis: str, relevant: bool, reason: str | None) -> None:
    tagger = Tagger.from_config(load_tagging(ROOT / "config.toml"))
    result = tagger.assess(_bill(title, synopsis=synopsis))
    assert result.relevant is relevant
    if reason:
        assert reason in result.reasons + [r for t in result.tags for r in t.reasons]


def _shipped() -> Tagger:
    return Tagger.from_config(load_tagging(ROOT / "config.toml"))


def test_college_named_in_the_title_needs_k12_wording_in_the_title_to_stay() -> None:
    synopsis = ("Existing law establishes the public schools and the Department of Education. This bill would "
                "revise the fees of the state university.")
    college = _shipped().assess(_bill("Public postsecondary education: mandatory fees.", synopsis=synopsis))
    assert not college.relevant
    assert ("'postsecondary' in title names the bill's subject: only K-12 wording in the title counts against it"
            in college.reasons)
    both = _shipped().assess(_bill("Postsecondary education and school districts: dual credit.", synopsis=synopsis))
    assert both.relevant


def test_a_commemorative_day_schools_are_encouraged_to_observe_is_ceremonial() -> None:
    result = _shipped().assess(_bill(
        "Public schools: Larry Itliong Day.",
        synopsis="Encourages public schools to conduct suitable commemorative exercises on that date."))
    assert not result.relevant
    assert any(r.startswith("excluded: 'commemorative exercises'") for r in result.reasons)


def test_professionals_continuing_education_is_not_school_wording() -> None:
    result = _shipped().assess(_bill("Chiropractors", synopsis="Revises continuing education for students of it."))
    assert result.score == 0
    assert any("not counted for Education wording shared with colleges: 'continuing education'" in r
               for r in result.reasons)


def test_california_certificated_staff_is_k12_wording_but_a_tax_certificate_is_not() -> None:
    tagger = _shipped()
    staff = BillInput(state="CA", session="20152016", bill="AB 1", title="Certificated staff: layoffs.")
    tax = BillInput(state="CA", session="20152016", bill="AB 2", title="Income tax: credit certificate.")
    assert tagger.assess(staff).relevant
    assert not tagger.assess(tax).relevant


def test_the_main_clause_is_the_first_sentence_or_californias_this_bill_sentence() -> None:
    assert split_lead("Requires public schools to stock naloxone. Effective July 1.") == (
        "Requires public schools to stock naloxone.", "Effective July 1.")
    assert split_lead("Requiring a plan; providing for a team; etc.") == ("Requiring a plan;", "providing for a team; etc.")
    assert split_lead("Existing law creates the schools. This bill would add a day. It would also X.") == (
        "This bill would add a day.", "Existing law creates the schools. It would also X.")
    assert split_lead("Existing law creates the schools.") == ("", "Existing law creates the schools.")
    assert split_lead("The Cal Grant Program establishes awards. This bill would revise them.") == (
        "This bill would revise them.", "The Cal Grant Program establishes awards.")


def test_k12_wording_in_the_main_clause_is_the_subject_but_a_passing_mention_is_not() -> None:
    tagger = _shipped()
    subject = tagger.assess(_bill("Instructions on First Aid", synopsis="Requires posters in public school cafeterias."))
    mention = tagger.assess(_bill("Instructions on First Aid",
                                  synopsis="Requires posters in restaurants. Schools are exempt."))
    assert subject.relevant and subject.score == 1.0
    assert not mention.relevant and mention.score == 0.6
    assert "'public school' in synopsis (K-12 wording)" in subject.reasons


def test_a_topic_phrase_in_the_main_clause_still_counts_as_synopsis() -> None:
    result = _shipped().assess(_bill("Dignity At Work Act", synopsis="Protects workers from bullying at work."))
    assert not result.relevant
    assert result.score == 0.6


def test_a_liquor_licence_near_schools_names_schools_as_a_landmark() -> None:
    result = _shipped().assess(_bill("Retail Licenses", synopsis=(
        "Exempts a lot from the rule on alcoholic beverage licenses within a certain proximity to schools.")))
    assert not result.relevant
