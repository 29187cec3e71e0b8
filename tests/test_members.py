from __future__ import annotations

from advocacy.app import App
from advocacy.models import Member
from advocacy.people.members import find_member, import_csv

CSV = """email,name,role,district,district_code,topics,alerts,house_districts,senate_districts,aliases
Pat.Okafor@MapleValley.example.org,Pat Okafor,superintendent,Maple Valley City Schools,043901,,yes,55;56,13,pokafor@gmail.example.com
lee.zhang@riverbend.example.org,Lee Zhang,chief academic officer,Riverbend Local Schools,,funding;vouchers,no,61,18,
not-an-address,Sam Doe,superintendent,Oak Hollow Schools,,,yes,,,
dana.cruz@oakhollow.example.org,Dana Cruz,janitor-in-chief,Oak Hollow Schools,,,yes,,,
pat.okafor@maplevalley.example.org,Pat Again,superintendent,Maple Valley City Schools,,,yes,,,
kim.ode@oakhollow.example.org,Kim Ode,treasurer,Oak Hollow Schools,,astrology,yes,,,
"""


def test_csv_import_adds_good_rows_and_reports_each_rejected_row_with_its_line(app: App) -> None:
    with app.transaction() as session:
        report = import_csv(session, CSV, known_topics={"funding", "vouchers", "levies"})
    assert (report.created, report.updated) == (2, 0)
    assert report.rejected == [
        (4, "email 'not-an-address' is not an address"),
        (5, "role 'janitor-in-chief' is not one of: superintendent, chief academic officer, treasurer, "
            "board member, curriculum director, principal, communications, staff, other"),
        (6, "pat.okafor@maplevalley.example.org appears twice in this file"),
        (7, "unknown topic(s) astrology (known: funding, levies, vouchers)"),
    ]
    with app.sessions() as session:
        pat = find_member(session, "POKAFOR@gmail.example.com")
        assert pat is not None and pat.name == "Pat Okafor" and pat.topics is None and pat.alerts
        assert pat.district is not None and pat.district.house_districts == ["55", "56"]
        lee = find_member(session, "Lee.Zhang@riverbend.example.org")
        assert lee is not None and lee.topics == ["funding", "vouchers"] and not lee.alerts


def test_reimport_updates_instead_of_duplicating(app: App) -> None:
    with app.transaction() as session:
        import_csv(session, CSV)
    with app.transaction() as session:
        report = import_csv(session, CSV.replace("Lee Zhang", "Lee Zhang-Park"))
    assert (report.created, report.updated) == (0, 3)  # Pat, Lee and Kim (no topic list to check against)
    with app.sessions() as session:
        assert session.query(Member).count() == 3
        assert find_member(session, "lee.zhang@riverbend.example.org").name == "Lee Zhang-Park"  # type: ignore[union-attr]


def test_missing_required_column_rejects_the_file_and_names_the_column(app: App) -> None:
    with app.transaction() as session:
        report = import_csv(session, "email,name\na@b.org,A\n", origin="members.csv")
    assert report.rejected == [(1, "members.csv: missing column(s) district; expected email, name, district, role, "
                                   "district_code, topics, alerts, house_districts, senate_districts, aliases, state")]
    assert report.created == 0


def test_a_context_only_topic_is_not_one_a_member_can_choose(app: App) -> None:
    topics = set(app.config.tagging.member_topics())
    assert "funding" in topics and "k12" not in topics  # k12 scores bills but is never a tag
    with app.transaction() as session:
        report = import_csv(session, "email,name,district,topics\na@b.example.org,A,D,k12\n", known_topics=topics)
    assert report.created == 0 and "unknown topic(s) k12" in report.rejected[0][1]


def test_a_row_with_several_problems_reports_them_all_at_once(app: App) -> None:
    csv = ("email,name,role,district,topics,alerts\n"
           "not-an-address,,janitor-in-chief,,astrology,maybe\n")
    with app.transaction() as session:
        report = import_csv(session, csv, known_topics={"funding"})
    ((line, problems),) = report.rejected
    assert line == 2 and problems.split("; ") == [
        "email 'not-an-address' is not an address", "name is empty", "district is empty",
        "role 'janitor-in-chief' is not one of: superintendent, chief academic officer, treasurer, board member, "
        "curriculum director, principal, communications, staff, other",
        "alerts 'maybe' should be yes or no", "unknown topic(s) astrology (known: funding)"]
def test_a_state_column_sets_the_district_jurisdiction_and_a_bad_state_is_rejected(app: App) -> None:
    text = ("email,name,district,state\n"
            "a@maple.example.org,A,Maple Valley,oh\n"
            "b@pioneer.example.org,B,Pioneer Valley Regional,MA\n"
            "c@nowhere.example.org,C,Nowhere,Ohio\n")
    with app.transaction() as session:
        report = import_csv(session, text)
    assert report.created == 2
    assert report.rejected == [(4, "state 'Ohio' should be a two-letter code (OH, MA, US for federal only)")]
    with app.sessions() as session:
        states = {m.email: m.district.jurisdiction for m in session.query(Member) if m.district}
    assert states == {"a@maple.example.org": "OH", "b@pioneer.example.org": "MA"}
