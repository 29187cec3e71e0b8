"""Fictional example contexts: for previews, the demo, tests and the render benchmark.

Every person, district and collaborative here is invented; bill numbers are styled like Ohio's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digests.model import (
    ActionItem,
    ActionLine,
    AgendaBillGroup,
    AgendaContext,
    AgendaItem,
    AgendaQuestion,
    AgendaTopicGroup,
    AlertContext,
    BillItem,
    Collaborative,
    DigestContext,
    Footer,
    HearingItem,
    Position,
    Priority,
    QuestionsCall,
    Sponsor,
    VersionLine,
)

EASTERN = ZoneInfo("America/New_York")
BASE_URL = "https://updates.maplevalley.example.org"

COLLABORATIVE = Collaborative(
    name="Maple Valley Schools Collaborative",
    postal_address="400 Orchard Street, Suite 2, Millbrook, OH 43000",
    timezone="America/New_York",
    advocate_name="Jordan Ellery",
    advocate_title="Legislative advocate",
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=EASTERN)


def footer(member_key: str = "m1") -> Footer:
    return Footer(
        reason=(
            "You receive this because your district is a member of the Maple Valley Schools Collaborative."
        ),
        preferences_url=f"{BASE_URL}/preferences/{member_key}",
        unsubscribe_url=f"{BASE_URL}/unsubscribe/{member_key}",
    )


FUNDING_BILL = BillItem(
    key="OH-136-HB 214",
    number="HB 214",
    short_title="School funding formula phase-in",
    title="To amend sections 3317.011 and 3317.02 of the Revised Code regarding the school funding formula.",
    url="https://www.legislature.example.gov/legislation/136/hb214",
    status="Passed the House 61-34; referred to Senate Education",
    status_date=date(2025, 11, 25),
    position=Position.SUPPORT,
    priority=Priority.HIGH,
    commentary=(
        "Finishes the final two years of the formula phase-in. For a district near 4,000 students this is "
        "roughly **$310 per pupil** more than flat funding.\n\n"
        "See the [fiscal note summary](/bills/OH-136-HB-214/fiscal) before the Senate hearing."
    ),
    tag_reasons=("Topic: school funding",),
    sponsors=(
        Sponsor(name="Dana Whitfield", title="Rep.", party="R", place="Lima"),
        Sponsor(name="Marcus Oyelaran", title="Rep.", party="D", place="Akron"),
    ),
    committee="Senate Education",
    latest_actions=(
        ActionLine(when=date(2025, 11, 25), description="Passed 61-34", chamber="House"),
        ActionLine(
            when=date(2025, 11, 19), description="Reported, substitute bill", committee="House Finance"
        ),
    ),
    new_versions=(
        VersionLine(
            name="As Passed by the House",
            url="https://www.legislature.example.gov/hb214/ph",
            when=date(2025, 11, 25),
        ),
    ),
    tracker_url=f"{BASE_URL}/bills/OH-136-HB-214",
)

VOUCHER_BILL = BillItem(
    key="OH-136-SB 88",
    number="SB 88",
    short_title="Scholarship deduction changes",
    title="To amend section 3310.08 of the Revised Code regarding scholarship deductions.",
    url="https://www.legislature.example.gov/legislation/136/sb88",
    status="Third hearing, Senate Finance",
    status_date=date(2025, 11, 20),
    position=Position.OPPOSE,
    commentary="Moves scholarship deductions back onto district ledgers. We oppose as introduced.",
    tag_reasons=("Topic: vouchers and choice",),
    sponsors=(Sponsor(name="Elaine Barrow", title="Sen.", party="R", place="Findlay"),),
    committee="Senate Finance",
    latest_actions=(
        ActionLine(
            when=date(2025, 11, 20),
            description="Third hearing, proponent testimony",
            committee="Senate Finance",
        ),
    ),
)

TRANSPORT_BILL = BillItem(
    key="OH-136-HB 301",
    number="HB 301",
    short_title="Pupil transportation flexibility",
    title="To amend section 3327.01 of the Revised Code regarding pupil transportation.",
    url="https://www.legislature.example.gov/legislation/136/hb301",
    status="Introduced; referred to House Education",
    status_date=date(2025, 11, 27),
    position=Position.MONITOR,
    commentary=(
        "Lets districts use vans for small routes. Early reading: helpful, watch the insurance language."
    ),
    tag_reasons=("Topic: transportation",),
    sponsors=(Sponsor(name="Priya Castellan", title="Rep.", party="D", place="Dayton"),),
)

CALENDAR_BILL = BillItem(
    key="OH-136-SB 140",
    number="SB 140",
    short_title="School calendar start date",
    title="To enact section 3313.483 of the Revised Code regarding the first day of school.",
    url="https://www.legislature.example.gov/legislation/136/sb140",
    status="In Senate Education",
    status_date=date(2025, 10, 2),
    position=Position.AMEND,
    sponsors=(Sponsor(name="Tom Reddick", title="Sen.", party="R", place="Marion"),),
)

TOPIC_BILLS = {
    "funding": FUNDING_BILL,
    "choice": VOUCHER_BILL,
    "transportation": TRANSPORT_BILL,
    "calendar": CALENDAR_BILL,
}

HEARING = HearingItem(
    committee="Senate Education Committee",
    chamber="Senate",
    start=at(2025, 12, 2, 10),
    location="Statehouse, North Hearing Room",
    bills=(FUNDING_BILL, CALENDAR_BILL),
    testimony_deadline=at(2025, 12, 1, 10),
    url="https://www.legislature.example.gov/committees/senate-education/notice-1202",
    note="Agendas change; check the notice the morning of.",
)

TESTIMONY_ASK = ActionItem(
    title="Send written testimony supporting HB 214",
    deadline=at(2025, 12, 1, 10),
    what_to_do=(
        "1. Use the one-page template on our site.\n"
        "2. Add one sentence about your district's enrollment.\n"
        "3. Submit it through the committee portal."
    ),
    bill=FUNDING_BILL,
    link_url="https://www.legislature.example.gov/committees/senate-education/testimony",
    link_label="Submit testimony",
)


def digest(
    topics: tuple[str, ...] = ("funding", "choice", "transportation", "calendar"),
    member_key: str = "m1",
    member_name: str = "Dr. Rivera",
) -> DigestContext:
    """A full digest; `topics` picks which bills this member follows, as a member's preferences would."""
    bills = [TOPIC_BILLS[t] for t in topics if t in TOPIC_BILLS]
    moved = tuple(b for b in bills if b.latest_actions and b is not TRANSPORT_BILL)
    new = tuple(b for b in bills if b is TRANSPORT_BILL)
    return DigestContext(
        collaborative=COLLABORATIVE,
        period_start=date(2025, 11, 18),
        period_end=date(2025, 12, 1),
        footer=footer(member_key),
        base_url=BASE_URL,
        member_name=member_name,
        opening_note=(
            "The House passed **HB 214** on Tuesday, and the Senate takes it up next week. "
            "This is the moment to put your district's numbers in front of the Senate Education Committee."
        ),
        action_needed=(TESTIMONY_ASK,) if FUNDING_BILL in bills else (),
        moved=moved,
        new_bills=new,
        hearings=(HEARING,) if set(HEARING.bills) & set(bills) else (),
        watch_list=tuple(bills),
        questions_call=QuestionsCall(
            title="member Q&A call",
            start=at(2025, 12, 9, 10),
            end=at(2025, 12, 9, 11),
            cutoff=at(2025, 12, 5, 12),
            join_url="https://zoom.example.com/j/5550100",
        ),
        tracker_url=f"{BASE_URL}/bills",
        web_url=f"{BASE_URL}/digests/2025-12-01",
    )


def empty_digest() -> DigestContext:
    return DigestContext(
        collaborative=COLLABORATIVE,
        period_start=date(2025, 11, 18),
        period_end=date(2025, 12, 1),
        footer=footer(),
        base_url=BASE_URL,
        opening_note="A quiet two weeks: the legislature was on Thanksgiving break.",
    )


def alert(member_key: str = "m1") -> AlertContext:
    return AlertContext(
        collaborative=COLLABORATIVE,
        headline="HB 214 gets a Senate hearing Tuesday; testimony due Monday 10:00 a.m.",
        footer=footer(member_key),
        base_url=BASE_URL,
        note="The Senate Education chair added HB 214 to Tuesday's agenda this afternoon.",
        actions=(TESTIMONY_ASK,),
        hearing=HEARING,
        bills=(FUNDING_BILL,),
        member_name="Dr. Rivera",
    )


def agenda(member_key: str = "m1") -> AgendaContext:
    start = at(2025, 12, 9, 10)
    return AgendaContext(
        collaborative=COLLABORATIVE,
        title="Member Q&A call",
        start=start,
        end=start + timedelta(hours=1),
        footer=footer(member_key),
        base_url=BASE_URL,
        join_url="https://zoom.example.com/j/5550100",
        dial_in="+1 555 0100, meeting 555 0100",
        next_call=at(2025, 12, 23, 10),
        items=(
            AgendaItem(title="Top story: HB 214 in the Senate", minutes=10, notes="Where the votes are."),
            AgendaItem(
                title="Bills that moved",
                minutes=20,
                bill_groups=(
                    AgendaBillGroup(
                        bill=FUNDING_BILL,
                        questions=(
                            AgendaQuestion(
                                text="Does the phase-in change our guarantee amount?",
                                districts=("Cedar Falls City Schools", "Riverbend Local Schools"),
                            ),
                        ),
                    ),
                    AgendaBillGroup(bill=VOUCHER_BILL),
                ),
            ),
            AgendaItem(
                title="Your questions",
                minutes=20,
                topic_groups=(
                    AgendaTopicGroup(
                        topic="Transportation",
                        questions=(
                            AgendaQuestion(
                                text="Can we run vans on rural routes now?", districts=("Oak Hollow Local",)
                            ),
                        ),
                    ),
                ),
            ),
            AgendaItem(title="Open Q&A and next steps", minutes=10),
        ),
    )


def with_commentary(context: DigestContext, commentary: str) -> DigestContext:
    """The digest with `commentary` on its first moved bill: for tests of what Markdown can and cannot do."""
    first, *rest = context.moved
    return replace(context, moved=(replace(first, commentary=commentary), *rest))
