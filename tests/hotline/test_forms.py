"""A service's refusal on the form that asked for it; a 404 refusal is a 404 page, never a form error."""

import pytest
from django import forms
from django.http import Http404

from hotline.errors import DomainError
from hotline.forms import apply_domain_error


class NoteForm(forms.Form):
    title = forms.CharField()


def bound_form() -> NoteForm:
    form = NoteForm({"title": "Broken street lamp"})
    assert form.is_valid()
    return form


def test_field_messages_land_on_their_fields():
    form = bound_form()

    apply_domain_error(form, DomainError("invalid", "Invalid.", status=400, fields={"title": ["Too vague."]}))

    assert form.errors == {"title": ["Too vague."]}


def test_a_field_the_form_lacks_becomes_form_wide():
    form = bound_form()

    apply_domain_error(form, DomainError("invalid", "Invalid.", status=400, fields={"unit": ["No such unit."]}))

    assert form.non_field_errors() == ["No such unit."]


def test_a_refusal_without_fields_shows_its_message_form_wide():
    form = bound_form()

    apply_domain_error(form, DomainError("appeal_open", "An appeal is already open."))

    assert form.non_field_errors() == ["An appeal is already open."]


def test_a_not_found_refusal_is_a_404_and_leaves_the_form_untouched():
    form = bound_form()

    with pytest.raises(Http404):
        apply_domain_error(form, DomainError("not_found", "Not found.", status=404, fields={"title": ["Gone."]}))

    assert form.errors == {}
