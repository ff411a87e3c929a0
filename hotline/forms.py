"""What HTML forms share: how a service's refusal reaches the user who asked for it."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from hotline.errors import DomainError, ErrorCode


def apply_domain_error(request: HttpRequest, error: DomainError, *, form: forms.Form | None = None) -> None:
    """Show a service's refusal; the one way an HTML view shows a DomainError.

    With the form that asked: its field messages on their fields (a field the form does not have,
    and a refusal that names no field, form-wide), so the view shows the form again with what the
    user typed. Without a form: error messages (its field messages, else its message).

    A "not_found" refusal is never shown: it is raised again, and NotFoundMiddleware answers the
    product's 404 page ("not found" and "not yours" read the same, and a form error or a message
    would tell the user the object exists).
    """
    if error.code == ErrorCode.NOT_FOUND:
        raise error
    if form is not None:
        add_form_errors(form, error)
        return
    for text in [text for texts in error.fields.values() for text in texts] or [error.message]:
        messages.error(request, text)


def add_form_errors(form: forms.Form, error: DomainError) -> None:
    """A refusal's field messages on the form's fields (a field the form does not have, and a
    refusal that names no field, form-wide): for forms that check with a service as they clean,
    such as the admin's."""
    for name, texts in error.fields.items():
        for text in texts:
            form.add_error(name if name in form.fields else None, text)
    if not error.fields:
        form.add_error(None, error.message)
