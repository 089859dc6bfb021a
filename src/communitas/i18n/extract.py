"""Find every msgid marked with ``_()`` in the package: Python modules and the web
pages' Jinja2 templates (Babel's extractors)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def marked_msgids(root: Path = PACKAGE_DIR) -> dict[str, list[str]]:
    """msgid → the files that use it."""
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python"),
                               ("**/templates/**.html", "jinja2.ext:babel_extract")],
        keywords={"_": None, "t": None}, options_map={"**/templates/**.html": {
            "trim_blocks": "true", "lstrip_blocks": "true"}},
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, []).append(filename)
    return found
