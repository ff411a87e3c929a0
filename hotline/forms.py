"""What HTML forms share: how a service's refusal lands on the form that asked for it."""

from django import forms
from django.http import Http404

from hotline.errors import DomainError


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal onto the form: its field messages on their fields (a field the form
    does not have becomes form-wide), else its message form-wide.

    A refusal with status 404 raises Http404 instead: "not found" and "not yours" read the same to
    the user (404, never 403), and a form error would tell them the object exists.
    """
    if error.status == 404:
        raise Http404
    for name, messages in error.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)
