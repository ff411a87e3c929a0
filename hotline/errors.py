"""The one error type for domain rule violations."""


class DomainError(Exception):
    """A request that breaks a business rule (invalid transition, wrong state, …).

    `code` is a stable machine-readable identifier; `message` is a translated sentence
    for people. The API answers it with HTTP 409 (or `status`), HTML views show the message.
    """

    def __init__(self, code: str, message: str, *, status: int = 409, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}
