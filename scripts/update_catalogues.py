"""Add newly marked msgids to the zh_CN and en catalogues, keeping existing translations.

New zh_CN entries are left empty (and the i18n test fails) until someone translates them.
"""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from zh_translations import ZH  # type: ignore[import-not-found]  # a sibling script

from communitas.i18n import _CATALOGUE_DIR, LOCALES
from communitas.i18n.extract import marked_msgids


def main() -> None:
    msgids = marked_msgids()
    for locale in LOCALES:
        path = _CATALOGUE_DIR / f"{locale}.po"
        old = Catalog(locale=locale)
        if path.exists():
            with path.open("rb") as handle:
                old = read_po(handle, locale=locale)
        new = Catalog(locale=locale, project="Communitas", charset="utf-8")
        for msgid, files in sorted(msgids.items()):
            existing = old.get(msgid)
            string = existing.string if existing is not None and existing.string else (
                msgid if locale == "en" else ZH.get(msgid, ""))
            new.add(msgid, string, locations=[(f, 0) for f in sorted(set(files))[:3]])
        with path.open("wb") as handle:
            write_po(handle, new, width=100, omit_header=False, no_location=True)
        missing = [m for m in new if m.id and not m.string]
        print(f"{locale}: {len(new)} messages, {len(missing)} untranslated")


if __name__ == "__main__":
    main()
