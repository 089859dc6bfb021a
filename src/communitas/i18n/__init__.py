"""Translation: Babel .po catalogues for zh_CN and en, read at start-up.

Source strings are English msgids marked with :func:`_` so Babel's extractor finds them;
:func:`translate` renders one in the reader's locale. A test checks that every marked
string has a Chinese translation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_CATALOGUE_DIR = Path(__file__).parent

__all__ = ["DEFAULT_LOCALE", "LOCALES", "_", "negotiate_locale", "translate"]


def _(msgid: str) -> str:
    """Mark a string for translation; it is translated when rendered, not here."""
    return msgid


@lru_cache
def _catalogue(locale: str) -> dict[str, str]:
    path = _CATALOGUE_DIR / f"{locale}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def translate(msgid: str, locale: str | None = None, **params: Any) -> str:
    """Render ``msgid`` in ``locale`` (falls back to the English msgid), then format params."""
    text = _catalogue(locale or DEFAULT_LOCALE).get(msgid, msgid)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return msgid.format(**params)
    return text


def negotiate_locale(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Pick zh_CN or en from an Accept-Language header."""
    if not accept_language:
        return default
    best: tuple[float, str] | None = None
    for part in accept_language.split(","):
        tag, _sep, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        tag = tag.strip().lower()
        locale = "zh_CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if locale and (best is None or weight > best[0]):
            best = (weight, locale)
    return best[1] if best else default
