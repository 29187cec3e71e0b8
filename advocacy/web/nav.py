"""The top bar's links. A new page that belongs there adds one NavItem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str  # the route's name
    section: str  # what a page passes as `section` to its template to be marked current


NAV = [
    NavItem("Dashboard", "dashboard", "dashboard"),
    NavItem("Queue", "queue", "queue"),
    NavItem("Bills", "bills", "bills"),
    NavItem("Search", "search", "search"),
    NavItem("Digest", "digest", "digest"),
    NavItem("Questions", "questions", "questions"),
    NavItem("Agenda", "agenda", "agenda"),
    NavItem("Members", "members", "members"),
]
