"""The labelled corpus: real bills read from files kept as served, joined with our own labels.

The bills themselves live outside the project, byte-for-byte as their public sources served them, under
`../shared/realdata/tagging/` (provenance in that folder's README and in tests/fixtures/SOURCES.md). The project
keeps only what we wrote: one label per bill (`corpus/labels.jsonl`: source, record key, relevant, topics, a note
on each judgement call), the split of states and sessions into a development part and a locked test part
(`corpus/split.toml`) and the rubric and change log beside them.

Each source has a pure parser `bytes -> {record key: BillInput}`; `load_corpus` joins parsed records with labels
and reports a label whose record is missing instead of guessing.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advocacy.tagging.evaluate import Labelled
from advocacy.tagging.ranker import Example
from advocacy.tagging.tagger import BillInput

Parser = Callable[[bytes], dict[str, BillInput]]
_TEXT_CHARS = 6000  # of a bill's full text: the opening sections name what it does
csv.field_size_limit(1 << 28)


def _csv_rows(data: bytes) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(io.StringIO(data.decode("utf-8-sig")))


def _bill(state: str, session: str, bill: str, title: str, **fields: Any) -> BillInput:
    clean = {k: (" ".join(v.split()) if isinstance(v, str) and k != "text" else v) for k, v in fields.items()}
    return BillInput(state=state, session=session, bill=bill.strip(), title=" ".join(title.split()), **clean)


def parse_legiscan_csv(state: str, data: bytes) -> dict[str, BillInput]:
    """LegiScan dataset `bills.csv` (bill_id, bill_number, title, description, committee, ...)."""
    out = {}
    for row in _csv_rows(data):
        session = row.get("session_name") or row.get("session") or ""
        year = re.search(r"\d{4}", session) or re.search(r"\d{4}", row.get("status_date", ""))
        out[row["bill_id"]] = _bill(
            state, year.group() if year else session, row["bill_number"],
            row.get("title") or row.get("bill_title") or "",
            synopsis=row.get("description") or row.get("bill_desc") or "",
            committee=row.get("committee", "") or "",
        )
    return out


_ANCHOR = re.compile(r">\s*\*?\s*([A-Z]+)\s+(\d+)\s*<")


def parse_nm_list(data: bytes) -> dict[str, BillInput]:
    """New Mexico's bill list as a tracker saved it: bill number in a link, title, sponsors, status."""
    out = {}
    for row in _csv_rows(data):
        match = _ANCHOR.search(row["Bill Number"])
        if match is None:
            continue
        bill = f"{match.group(1)} {match.group(2)}"
        out[bill] = _bill("NM", "2026", bill, row["Title"], sponsors=tuple(row["Sponsors"].split("; ")))
    return out


def _minnpost(session: str, data: bytes) -> dict[str, BillInput]:
    raw = json.loads(data)
    rows = raw.values() if isinstance(raw, dict) else raw
    out = {}
    for row in rows:
        bill = row.get("bill") or row.get("bill_id")
        out[bill] = _bill("MN", session, bill, row.get("title") or "", synopsis=row.get("description") or "",
                          subjects=tuple(row.get("categories") or ()))
    return out


def _first_committee(actions: list[dict[str, Any]]) -> str:
    for action in actions:
        for entity in action.get("related_entities") or ():
            if entity.get("type") == "committee" and entity.get("name"):
                return str(entity["name"])
    return ""


def parse_openstates_ca(data: bytes) -> dict[str, BillInput]:
    """Open States v1 bill objects (California 2015-2016), as a newsroom tracker saved them."""
    out = {}
    for row in json.loads(data):
        out[row["id"]] = _bill(
            "CA", row.get("session", ""), row["bill_id"], row.get("title") or "",
            synopsis=row.get("summary") or row.get("+impact_clause") or "",
            subjects=tuple(row.get("subjects") or ()), committee=_first_committee(row.get("actions") or []),
        )
    return out


def parse_il(data: bytes) -> dict[str, BillInput]:
    out = {}
    for row in json.loads(data):
        out[str(row["source_id"])] = _bill("IL", "103", row["id"], row.get("title") or "",
                                           synopsis=row.get("description") or "")
    return out


_AL_NUMBER = re.compile(r"^\s*([HS]B)\s*(\d+)", re.M)
_AL_REFERRAL = re.compile(r"RFD:\s*([^\n]+)")
_WV_NUMBER = re.compile(r"Introduced\s+(House|Senate)\s+Bill\s+(\d+)", re.I)
_WV_REFERRAL = re.compile(r"referred to the Committee on ([^;\]]+)", re.I)


def parse_al(data: bytes) -> dict[str, BillInput]:
    """Alabama 2023 bills with their introduced text (LegiScan text, as a classifier project saved it)."""
    out = {}
    for row in _csv_rows(data):
        text = row.get("Text") or ""
        number = _AL_NUMBER.search(text)
        referral = _AL_REFERRAL.search(text)
        bill = f"{number.group(1)} {number.group(2)}" if number else f"ID {row['ID']}"
        out[row["ID"]] = _bill("AL", "2023", bill, row["Title"], text=text[:_TEXT_CHARS],
                               committee=referral.group(1).strip() if referral else "")
    return out


def parse_wv(data: bytes) -> dict[str, BillInput]:
    """West Virginia 2023 bills with introduced text and one subject; rows the source's CSV broke are skipped."""
    out = {}
    for row in _csv_rows(data):
        if not (row.get("ID") or "").isdigit() or not row.get("Title"):
            continue
        text = row.get("Text") or ""
        number = _WV_NUMBER.search(text)
        referral = _WV_REFERRAL.search(text)
        bill = f"{number.group(1)[0]}B {number.group(2)}" if number else f"ID {row['ID']}"
        subject = (row.get("Subject") or "").strip()
        out[row["ID"]] = _bill("WV", "2023", bill, row["Title"], text=text[:_TEXT_CHARS],
                               subjects=(subject,) if subject and subject[0].isupper() else (),
                               committee=referral.group(1).strip() if referral else "")
    return out


def parse_propublica(data: bytes) -> dict[str, BillInput]:
    """ProPublica Congress API `bills` lists (116th Congress)."""
    out = {}
    for block in json.loads(data)["results"]:
        for row in block["bills"]:
            subject = row.get("primary_subject") or ""
            congress = row["bill_id"].rsplit("-", 1)[-1]
            out[row["bill_id"]] = _bill(
                "US", congress, row["number"], row.get("title") or "", synopsis=row.get("summary") or "",
                subjects=(subject,) if subject else (), committee=row.get("committees") or "",
            )
    return out


def parse_legiscan_xml(data: bytes) -> dict[str, BillInput]:
    """One LegiScan `getBill` response in XML (Mississippi); the committee is the first referral in its history."""
    bill = ET.fromstring(data).find("bill")
    if bill is None:
        return {}
    committee = ""
    for action in bill.iterfind("history/step/action"):
        match = re.match(r"Referred To (.+)", action.text or "")
        if match:
            committee = match.group(1).split(";")[0].strip()
            break
    session = re.search(r"\d{4}", bill.findtext("session/session_name") or "")
    return {bill.findtext("bill_id") or "": _bill(
        bill.findtext("state") or "", session.group() if session else "", bill.findtext("bill_number") or "",
        html.unescape(bill.findtext("title") or ""), synopsis=html.unescape(bill.findtext("description") or ""),
        committee=committee,
    )}


def parse_legiscan_json(data: bytes) -> dict[str, BillInput]:
    """One LegiScan `getBill` response in JSON (Arkansas)."""
    bill = json.loads(data)["bill"]
    committee = bill.get("committee") or {}
    session = bill.get("session") or {}
    return {str(bill["bill_id"]): _bill(
        bill["state"], str(session.get("year_start", "")), bill["bill_number"], bill.get("title") or "",
        synopsis=bill.get("description") or "", subjects=tuple(s["subject_name"] for s in bill.get("subjects", [])),
        committee=committee.get("name", "") if isinstance(committee, dict) else "",
    )}


@dataclass(frozen=True)
class Source:
    name: str
    pattern: str  # files under the realdata folder, a glob
    parse: Parser


# One line per source: a new source is a parser above plus one line here.
SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("ri_2020", "tagging/ri_2020_bills.csv", lambda d: parse_legiscan_csv("RI", d)),
    Source("fl_2023_2024", "tagging/fl_qry_bills.csv", lambda d: parse_legiscan_csv("FL", d)),
    Source("nm_2026", "tagging/nm_2026_bills.csv", parse_nm_list),
    Source("mn_2013", "tagging/mn_2013_bills.json", lambda d: _minnpost("2013", d)),
    Source("mn_2015", "tagging/mn_2015_bills.json", lambda d: _minnpost("2015", d)),
    Source("ca_2015", "tagging/ca_2015_bills.json", parse_openstates_ca),
    Source("il_103", "tagging/il_illinois.json", parse_il),
    Source("al_2023", "tagging/al_2023_dataset.csv", parse_al),
    Source("wv_2023", "tagging/wv_2023_subject_dataset.csv", parse_wv),
    Source("us_116", "tagging/us_116_*.json", parse_propublica),
    Source("ms", "tagging/ms/*/*.xml", parse_legiscan_xml),
    Source("ar_2012", "legiscan/AR_*.json", parse_legiscan_json),
    Source("ga_2023", "tagging/ga_2023/*.json", parse_legiscan_json),
)}


def read_source(root: Path, source: Source) -> dict[str, BillInput]:
    """Every record of one source; a file that will not parse raises ValueError naming it."""
    records: dict[str, BillInput] = {}
    for path in sorted(root.glob(source.pattern)):
        try:
            records.update(source.parse(path.read_bytes()))
        except (ValueError, KeyError, ET.ParseError) as exc:
            raise ValueError(f"{path}: cannot read as source {source.name!r}: {exc}") from exc
    return records


@dataclass(frozen=True)
class Split:
    """Which state-session groups are the development part; every other group is the locked test part."""

    dev: frozenset[str]
    locked: frozenset[str]

    def part(self, bill: BillInput) -> str:
        group = f"{bill.state} {bill.session}"
        if group in self.dev:
            return "dev"
        if group in self.locked:
            return "locked"
        raise ValueError(f"state and session {group!r} is in neither part of the split")


def load_split(path: Path) -> Split:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    dev, locked = frozenset(data.get("dev", [])), frozenset(data.get("locked", []))
    if dev & locked:
        raise ValueError(f"{path}: {sorted(dev & locked)} in both parts")
    return Split(dev, locked)


def read_labels(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
        for name in ("source", "key", "relevant"):
            if name not in row:
                raise ValueError(f"{path}:{number}: field {name!r} is missing")
        if not isinstance(row["relevant"], bool):
            raise ValueError(f"{path}:{number}: field 'relevant' must be true or false")
        rows.append(row)
    return rows


def join(labels: list[dict[str, Any]],
         records: Mapping[str, Mapping[str, BillInput]]) -> tuple[list[Labelled], list[str]]:
    """(labelled bills, problems): a label whose source or record is missing is reported, never guessed."""
    joined, problems = [], []
    for row in labels:
        bill = records.get(row["source"], {}).get(str(row["key"]))
        if bill is None:
            problems.append(f"{row['source']} {row['key']}: no such record")
            continue
        joined.append(Labelled(bill, row["relevant"], frozenset(row.get("topics", [])), row.get("note", "")))
    return joined, problems


LABELS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "tagging" / "corpus" / "labels.jsonl"


def corpus_examples(realdata: Path, labels: Path = LABELS) -> list[Example]:
    """The labelled corpus as ranker training examples (source "corpus"); a missing record raises ValueError."""
    rows = read_labels(labels)
    records = {name: read_source(realdata, SOURCES[name]) for name in {row["source"] for row in rows}}
    joined, problems = join(rows, records)
    if problems:
        raise ValueError(f"{len(problems)} label(s) without a record, e.g. {problems[0]}")
    return [Example(f"{r.bill.state} {r.bill.session} {r.bill.bill}", r.bill, r.relevant, "corpus") for r in joined]
