"""People: legislators and committee rosters (`legislators`), members and districts (`members`), staff (`staff`).

May import: `vocabulary`, `scrapers` (the people sources), `advocacy.models`, the root modules.
"""
