"""Form input: read fields, turn refusals into messages next to the fields they concern.

Pydantic's own messages are English only, so each error type maps to a msgid here; a
domain refusal (CommunitasError) names its field in ``details["field"]``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from communitas.errors import CommunitasError
from communitas.i18n import _, translate

__all__ = ["FormErrors", "field_text", "int_or_none", "validate"]

M = TypeVar("M", bound=BaseModel)

_TYPES: dict[str, str] = {
    "missing": _("This field is required"),
    "string_too_short": _("This field is required"),
    "string_too_long": _("Too long: at most {max_length} characters"),
    "too_short": _("Give at least {min_length}"),
    "too_long": _("Too many: at most {max_length}"),
    "greater_than_equal": _("Must be at least {ge}"),
    "greater_than": _("Must be more than {gt}"),
    "less_than_equal": _("Must be at most {le}"),
    "less_than": _("Must be less than {lt}"),
    "int_parsing": _("Enter a whole number"),
    "int_type": _("Enter a whole number"),
    "float_parsing": _("Enter a number"),
    "string_pattern_mismatch": _("This value has the wrong format"),
    "literal_error": _("Choose one of the options"),
    "enum": _("Choose one of the options"),
    "datetime_from_date_parsing": _("Enter a date and time"),
    "datetime_parsing": _("Enter a date and time"),
    "timezone_aware": _("Enter a date and time"),
}
_DEFAULT = _("This value is not valid")
# Refusals that name no field but clearly concern one (a code typed into the form).
_CODE_FIELDS = {"unknown_area": "area_code", "unknown_resource_type": "lines"}


class FormErrors:
    """Messages per form field, already in the reader's language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.fields: dict[str, str] = {}
        self.general: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, field: str | None, msgid: str, **params: Any) -> None:
        text = translate(msgid, self.locale, **params)
        if field:
            self.fields.setdefault(field, text)
        else:
            self.general.append(text)

    def from_validation(self, exc: ValidationError, rename: dict[str, str] | None = None
                        ) -> None:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()))
            ctx = {k: v for k, v in (err.get("ctx") or {}).items()
                   if isinstance(v, int | float | str)}
            msgid = _TYPES.get(str(err.get("type")), _DEFAULT)
            self.add(_field((rename or {}), loc), msgid, **ctx)

    def from_refusal(self, exc: CommunitasError, rename: dict[str, str] | None = None) -> None:
        details = exc.details if isinstance(exc.details, dict) else {}
        field = details.get("field") or _CODE_FIELDS.get(exc.code)
        text_field = _field(rename or {}, str(field)) if field else None
        self.add(text_field, exc.message, **exc.params)


def _field(rename: dict[str, str], loc: str) -> str:
    """The form field for a schema location: exact rename, else its longest known prefix."""
    if loc in rename:
        return rename[loc]
    parts = loc.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in rename:
            return rename[prefix]
    return loc


def field_text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def int_or_none(text: str) -> int | str | None:
    """A whole number, or the text itself so validation names the field, or None if empty."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def validate(model: type[M], data: dict[str, Any], errors: FormErrors,
             rename: dict[str, str] | None = None) -> M | None:
    """``model`` from ``data``, or None with every problem in ``errors``.

    Some field checks raise a domain error that stops pydantic at the first field; that
    field is noted and left out, and the rest is checked again so all problems show at once.
    """
    data = dict(data)
    for _attempt in range(len(data) + 1):
        try:
            value = model.model_validate(data)
            return None if errors else value
        except ValidationError as exc:
            errors.from_validation(exc, rename)
            return None
        except CommunitasError as exc:
            errors.from_refusal(exc, rename)
            details = exc.details if isinstance(exc.details, dict) else {}
            if details.get("field") not in data:
                return None
            data.pop(str(details["field"]))
    return None
