"""What the domain rules and the stores raise when a request cannot be met, in the domain's
words and free of HTTP. The API's edge (``problems.install_problem_handlers``) answers each as
problem+json with the status its kind maps to; a handler or a worker that meets one knows it
as a refusal, not as an HTTP response."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal: ``detail`` says why; ``facts`` go with it (e.g. the state found)."""

    kind: ClassVar[str] = "refused"
    title: ClassVar[str] = "Refused"

    def __init__(self, detail: str, **facts: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.facts = facts


class NotFound(DomainError):
    """What the request names does not exist."""

    kind = "not-found"
    title = "Not found"

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} does not exist")


class NotAllowed(DomainError):
    """The user may not do this, on this unit."""

    kind = "forbidden"
    title = "Forbidden"


class Invalid(DomainError):
    """What the request asks breaks a rule; ``facts`` usually hold ``errors``, one per field."""

    kind = "validation"
    title = "Invalid request"


class Conflict(DomainError):
    """The state the request meets does not allow it (now): e.g. a plan no longer editable."""

    kind = "conflict"
    title = "Conflict"


STATUS_OF: dict[type[DomainError], int] = {
    DomainError: 400,
    NotFound: 404,
    NotAllowed: 403,
    Invalid: 422,
    Conflict: 409,
}
"""How the API's edge answers each kind (the nearest kind a subclass extends)."""


def status_of(error: DomainError) -> int:
    return next(STATUS_OF[k] for k in type(error).__mro__ if k in STATUS_OF)
