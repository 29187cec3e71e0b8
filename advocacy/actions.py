"""Action classification. (Placeholder until the declarative rules land from the sources work.)"""

from __future__ import annotations


def classify(state: str, text: str) -> tuple[str, ...]:
    return ()
