"""Step 3, curate: the advocate's queue, decisions on bills, and bills that come back on their own.

Owns the review queue and every decision (`decisions`) and finding a stored bill however a person typed its
number (`lookup`).
May import: `vocabulary`, `advocacy.models`, `advocacy.tagging`, the root modules.
"""
