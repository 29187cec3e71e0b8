"""Per-state vocabularies, local bills, the K-12 override of exclusions and the bill's own text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from advocacy.tagging.rules import TaggingRuleError, load_tagging
from advocacy.tagging.states import FOLDER, STATE_FILES, StateRules, load_state, load_states
from advocacy.tagging.store import stored_text
from advocacy.tagging.tagger import BillInput, Tagger

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.from_config(load_tagging(ROOT / "config.toml"))


def _bill(state: str, title: str, **fields: object) -> BillInput:
    return BillInput(state=state, session="2020", bill="H 1", title=title, **fields)  # type: ignore[arg-type]


def test_every_registered_state_file_loads_and_names_only_topics_of_config_toml() -> None:
    config = load_tagging(ROOT / "config.toml")
    assert sorted(p.stem for p in FOLDER.glob("*.toml")) == sorted(STATE_FILES)
    for code, rules in load_states().items():
        assert set(rules.topics) <= set(config.topics), code


def test_state_wording_counts_only_for_that_states_bills_and_says_whose_it_is(tagger: Tagger) -> None:
    title = "School Committees And Superintendents"
    ri = tagger.assess(_bill("RI", title, synopsis="Requires transportation for students beyond two miles."))
    assert ri.relevant
    assert any("'School Committees' in title (Rhode Island wording)" in r for r in ri.reasons), ri.reasons
    elsewhere = tagger.assess(_bill("OK", "Committees of the Senate"))
    assert not elsewhere.relevant


def test_boilerplate_a_state_lists_is_removed_before_scoring(tagger: Tagger) -> None:
    mandate = ("The California Constitution requires the state to reimburse local agencies and school districts "
               "for certain costs mandated by the state. Statutory provisions establish procedures for making "
               "that reimbursement.")
    water = tagger.assess(_bill("CA", "Water districts: reports.", synopsis="Requires water districts to report. "
                                + mandate))
    assert not water.relevant
    assert not any("school district" in r for r in water.reasons)


def test_a_local_tax_bill_is_excluded_unless_it_is_about_that_places_schools(tagger: Tagger) -> None:
    town = tagger.assess(_bill("RI", "Levy And Assessment Of Local Taxes",
                               synopsis="Replaces the tax stabilization plan for the town of Burrillville."))
    assert not town.relevant
    assert any(r.startswith("excluded: 'the town of' in synopsis, a local bill") for r in town.reasons)
    schools = tagger.assess(_bill("AL", "Vestavia Hills, ad valorem tax, additional tax for public school purposes",
                                  synopsis="Authorizes the city of Vestavia Hills to levy a property tax for its "
                                           "public schools."))
    assert schools.relevant, schools.reasons


def test_statewide_property_tax_base_is_relevant_without_a_school_word(tagger: Tagger) -> None:
    result = tagger.assess(_bill("FL", "Reduction of Assessed Value",
                                 synopsis="Revises requirements to receive reduction in assessed value of certain "
                                          "homestead properties."))
    assert result.relevant and "taxes_levies" in result.topics


def test_higher_education_exclusion_never_removes_a_bill_that_also_acts_on_k12(tagger: Tagger) -> None:
    both = tagger.assess(_bill("CA", "Privacy: students.",
                               synopsis="Prohibits operators of sites school districts use from amassing a profile "
                                        "of a K-12 pupil; applies to postsecondary students as well."))
    assert both.relevant
    assert any(r.startswith("not excluded for 'postsecondary'") for r in both.reasons), both.reasons
    college = tagger.assess(_bill("CA", "Community colleges: transfer",
                                  synopsis="Requires community college districts to report transfers of students."))
    assert not college.relevant


def test_the_bills_own_text_is_read_with_its_field_weight(tagger: Tagger) -> None:
    vague = _bill("WV", "Relating generally to county boards",
                  text="A BILL relating to compulsory school attendance; requiring each county board of education "
                       "to adopt attendance policies for pupils.")
    result = tagger.assess(vague)
    assert any("in the bill's text" in r for r in result.reasons), result.reasons
    assert tagger.assess(_bill("WV", "Relating generally to county boards")).score < result.score


def test_a_state_file_with_a_repeated_phrase_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "zz.toml"
    path.write_text('name = "Zed"\nk12 = ["school board", "school boards"]\n')
    with pytest.raises(TaggingRuleError, match=r"zz\.toml: \[tagging\] k12: .*same after stemming"):
        load_state(path)


def test_state_rules_given_explicitly_replace_the_registered_files() -> None:
    config = load_tagging(ROOT / "config.toml")
    only = Tagger.from_config(config, {"ZZ": StateRules(name="Zedland", k12=["zed academy"])})
    result = only.assess(BillInput(state="zz", session="1", bill="B 1", title="Zed academy hours",
                                   synopsis="Sets the day of each zed academy."))
    assert any("(Zedland wording)" in r for r in result.reasons)


def test_the_stored_text_is_read_from_the_bill_or_its_latest_version_that_has_one() -> None:
    old = SimpleNamespace(when=datetime(2026, 1, 5), id=1, text="As introduced: pupils shall ...")
    new = SimpleNamespace(when=datetime(2026, 3, 1), id=2, text="As passed: school districts shall ...")
    bare = SimpleNamespace(when=datetime(2026, 4, 1), id=3)  # a version without stored text
    assert stored_text(SimpleNamespace(versions=[old, new, bare])) == "As passed: school districts shall ..."
    assert stored_text(SimpleNamespace(text="The bill's own text", versions=[old])) == "The bill's own text"
    assert stored_text(SimpleNamespace(versions=[bare])) == ""
