"""Exports: what the collaborative hands on. The tracked-bill list and the members as CSV, a digest as Word and
PDF, and a board packet per district as Word.

May import `vocabulary`, `digests`, `models`, `people`, `tagging`, `outbound` and root modules; imported only by
`cli` and `web`. Documents are written by `digests.documents` (python-docx, fpdf2), never by a browser.
"""
