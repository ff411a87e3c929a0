"""How an HTML view shows a service's refusal (hotline.forms.apply_domain_error): on the form that
asked for it, else as a message; a refusal "not_found" is never shown but is the product's 404 page."""

import json

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from hotline.errors import DomainError
from hotline.forms import apply_domain_error
from hotline.urls import urlpatterns as product_urls
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSALS = {
    "conflict": DomainError("appeal_open", "An appeal is already open."),
    "invalid": DomainError("invalid", "Invalid.", status=400, fields={"title": ["Too vague."], "unit": ["No unit."]}),
    "not_found": DomainError("not_found", "Not found.", status=404, fields={"title": ["Gone."]}),
}


class NoteForm(forms.Form):
    title = forms.CharField()


def bound_form() -> NoteForm:
    form = NoteForm({"title": "Broken street lamp"})
    assert form.is_valid()
    return form


def refused(request: HttpRequest, refusal: str) -> HttpResponse:
    """A view whose service refuses with REFUSALS[refusal]; ?form=1 shows it on the form."""
    form = bound_form() if request.GET.get("form") else None
    try:
        raise REFUSALS[refusal]
    except DomainError as error:
        apply_domain_error(request, error, form=form)
    return HttpResponse(form.errors.as_json() if form is not None else "", status=400)


urlpatterns = [path("refused/<str:refusal>/", refused), *product_urls]
handler404 = "hotline.views.not_found"


@pytest.fixture
def signed_in(settings) -> Client:
    settings.DEBUG = False  # the product's error pages, as in production
    client = Client()
    client.force_login(UserFactory())
    return client


def shown_messages(response: HttpResponse) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def apply(error: DomainError, form: forms.Form) -> None:
    apply_domain_error(RequestFactory().post("/"), error, form=form)


def test_field_messages_land_on_the_fields_the_form_has():
    # Given a refusal naming the form's field "title"
    form = bound_form()
    # When it is applied to the form
    apply(DomainError("invalid", "Invalid.", status=400, fields={"title": ["Too vague."]}), form)
    # Then the message is on that field, and nothing is form-wide
    assert form.errors == {"title": ["Too vague."]}


def test_a_field_the_form_lacks_becomes_form_wide():
    form = bound_form()

    apply(DomainError("invalid", "Invalid.", status=400, fields={"unit": ["No such unit."]}), form)

    assert form.non_field_errors() == ["No such unit."]


def test_a_refusal_without_fields_shows_its_message_form_wide():
    form = bound_form()

    apply(DomainError("appeal_open", "An appeal is already open."), form)

    assert form.non_field_errors() == ["An appeal is already open."]


def test_a_not_found_refusal_is_raised_again_and_leaves_the_form_untouched():
    form = bound_form()

    with pytest.raises(DomainError) as raised:
        apply(DomainError("not_found", "Not found.", status=404, fields={"title": ["Gone."]}), form)

    assert raised.value.code == "not_found"
    assert form.errors == {}


@pytest.mark.urls("tests.hotline.test_forms")
def test_on_a_page_with_the_form_the_refusal_is_on_the_form_and_no_message(signed_in):
    # When a view with the form that asked gets a refusal naming a field it has and one it lacks
    response = signed_in.get("/refused/invalid/?form=1")
    # Then both are on the form (the lacking one form-wide), and no message is queued
    assert json.loads(response.content) == {
        "title": [{"message": "Too vague.", "code": ""}],
        "__all__": [{"message": "No unit.", "code": ""}],
    }
    assert shown_messages(response) == []


@pytest.mark.urls("tests.hotline.test_forms")
def test_without_a_form_the_refusal_is_an_error_message(signed_in):
    # When a view without a form gets a refusal that names no field
    response = signed_in.get("/refused/conflict/")
    # Then its message is shown as an error message
    assert shown_messages(response) == [("error", "An appeal is already open.")]


@pytest.mark.urls("tests.hotline.test_forms")
def test_without_a_form_the_field_messages_are_the_messages(signed_in):
    # When a view without a form gets a refusal about input: its field messages say what is wrong
    response = signed_in.get("/refused/invalid/")
    # Then those are the messages, not the generic "the input is not valid"
    assert shown_messages(response) == [("error", "Too vague."), ("error", "No unit.")]


@pytest.mark.urls("tests.hotline.test_forms")
@pytest.mark.parametrize("with_form", ["", "1"])
def test_a_not_found_refusal_is_the_products_404_page(signed_in, with_form):
    # When a view gets a refusal "not_found", with or without a form
    response = signed_in.get(f"/refused/not_found/?form={with_form}")
    # Then the user sees the product's 404 page, neither a form error nor a message
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    assert "页面不存在" in response.content.decode()
    assert "Gone." not in response.content.decode()
    assert shown_messages(response) == []
