"""Every user-facing string exists in Simplified Chinese and English."""

from __future__ import annotations

from communitas.i18n import LOCALES, _catalogue, negotiate_locale, translate
from communitas.i18n.extract import marked_msgids


def test_every_marked_string_is_translated_in_every_catalogue() -> None:
    msgids = marked_msgids()
    assert len(msgids) > 30
    for locale in LOCALES:
        catalogue = _catalogue(locale)
        missing = sorted(m for m in msgids if not catalogue.get(m))
        assert not missing, f"{locale} lacks: {missing[:10]} (run scripts/update_catalogues.py)"


def test_chinese_catalogue_really_is_chinese() -> None:
    catalogue = _catalogue("zh_CN")
    not_chinese = [k for k, v in catalogue.items() if not any("\u4e00" <= c <= "\u9fff" for c in v)]
    assert not not_chinese, not_chinese[:10]


def test_params_survive_translation() -> None:
    assert "310115001001" in translate("Unknown area {value}", "zh_CN", value="310115001001")
    assert translate("Unknown area {value}", "en", value="X") == "Unknown area X"


def test_accept_language_negotiation() -> None:
    assert negotiate_locale("en-US,en;q=0.9") == "en"
    assert negotiate_locale("zh-CN,zh;q=0.9,en;q=0.8") == "zh_CN"
    assert negotiate_locale("fr-FR") == "zh_CN"
    assert negotiate_locale("fr;q=1, en;q=0.5") == "en"
    assert negotiate_locale(None) == "zh_CN"
