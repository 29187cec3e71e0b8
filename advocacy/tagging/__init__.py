"""Step 2, tag: is a bill ours, and under which topics, with reasons a person can read.

Owns the pure scorer (`tagger`), its rules as config (`rules`), the words it compares (`text`), the stored
judgements (`store`) and the evaluation against labelled bills (`evaluate`).
May import: `vocabulary`, `advocacy.models`; never `advocacy.config`, which imports `rules`.
"""
