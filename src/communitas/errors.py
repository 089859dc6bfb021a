"""Errors every layer raises and the API turns into one envelope.

Hierarchy (``code`` is stable, part of the API contract)::

    CommunitasError                  500 internal_error
    ├── ValidationFailed             422 validation_error (and more precise codes)
    │   ├── InvalidDivisionCode      422 invalid_division_code
    │   ├── WrongParentKind          422 wrong_parent_kind
    │   └── ImportRejected           422 import_rejected
    ├── NotFound                     404 not_found (unknown_area, ...)
    ├── Conflict                     409 conflict (duplicate_code, ...)
    ├── Unauthenticated              401 not_authenticated / invalid_credentials
    ├── PermissionDenied             403 forbidden / out_of_scope
    ├── RateLimited                  429 rate_limited
    └── Busy                         503 database_busy

Messages are English msgids with ``{name}`` params, rendered in the reader's language by
:func:`communitas.i18n.translate`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from communitas.i18n import _

__all__ = [
    "Busy",
    "CommunitasError",
    "Conflict",
    "ImportRejected",
    "InvalidDivisionCode",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "Unauthenticated",
    "ValidationFailed",
    "WrongParentKind",
]


class CommunitasError(Exception):
    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = _("Internal error")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        **params: Any,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.params = params
        self.details = details
        super().__init__(self.message.format(**params) if params else self.message)


class ValidationFailed(CommunitasError):
    status = 422
    default_code = "validation_error"
    default_message = _("The input is not valid")


class InvalidDivisionCode(ValidationFailed):
    default_code = "invalid_division_code"
    default_message = _("Invalid division code {value}")


class WrongParentKind(ValidationFailed):
    default_code = "wrong_parent_kind"
    default_message = _("A {kind} cannot be placed under a {parent_kind}")


class ImportRejected(ValidationFailed):
    default_code = "import_rejected"
    default_message = _("The file was rejected; nothing was imported")


class NotFound(CommunitasError):
    status = 404
    default_code = "not_found"
    default_message = _("Not found")


class Conflict(CommunitasError):
    status = 409
    default_code = "conflict"
    default_message = _("Conflicts with existing data")


class Unauthenticated(CommunitasError):
    status = 401
    default_code = "not_authenticated"
    default_message = _("Sign-in required")


class PermissionDenied(CommunitasError):
    status = 403
    default_code = "forbidden"
    default_message = _("You are not allowed to do this")


class RateLimited(CommunitasError):
    status = 429
    default_code = "rate_limited"
    default_message = _("Too many submissions; try again later")


class Busy(CommunitasError):
    status = 503
    default_code = "database_busy"
    default_message = _("The database is busy; try again")
