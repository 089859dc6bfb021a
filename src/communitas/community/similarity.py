"""Pure claim similarity: normalised text compared by character bigrams (works for Chinese,
which has no spaces, and for English alike)."""

from __future__ import annotations

import unicodedata

__all__ = ["SIMILAR_AT", "normalise", "similarity"]

# Two claims with a Jaccard index of character bigrams at or above this are the same rumour.
SIMILAR_AT = 0.5


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, letters and digits only."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _bigrams(text: str) -> set[str]:
    if len(text) < 2:
        return {text} if text else set()
    return {text[i:i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard index of the character bigrams of two normalised texts, 0 … 1."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)
