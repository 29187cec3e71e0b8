"""Step 1, collect: run the configured sources, archive what they sent, store records, record change events.

Owns the source runs (`scrape`) and storing records with insert/update/no-op reports (`ingest`).
May import: `vocabulary`, `scrapers`, `advocacy.models`, the root modules (`app`, `config`, `db`, `locks`).
Never `advocacy.runtime`: the runtime imports this package, not the other way.
"""
