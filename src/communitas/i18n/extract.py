"""Find every msgid marked with ``_()`` in the package (Babel's extractor)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def marked_msgids(root: Path = PACKAGE_DIR) -> dict[str, list[str]]:
    """msgid → the files that use it."""
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords={"_": None, "t": None}
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, []).append(filename)
    return found
