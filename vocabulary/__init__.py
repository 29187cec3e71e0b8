"""The shared vocabulary: what every layer means by a bill, an action, a roster entry, a Retry-After.

Owns the normalized records sources produce (`records`), bill numbers (`billnum`), action classification with
one rule file per state (`actions`), the spelling rules of rosters (`rosters`) and the HTTP Retry-After header
(`retry_after`). It is a leaf: it imports nothing of the project, so that `scrapers/`, `digests/` and `advocacy/`
can all depend on it and on nothing else of each other.
"""
