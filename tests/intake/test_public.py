"""The public citizen pages: online request form and status page, without login, guarded against abuse."""

import time

import pytest
from django.core import signing
from django.urls import reverse

from hotline.models import Category
from intake.forms import PUBLIC_FORM_SALT
from intake.lifecycle import Status
from intake.models import Channel, Ticket
from tests.factories import TicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_rate_limits")]

SUBMIT = reverse("intake:public_submit")
STATUS = reverse("intake:public_status")


@pytest.fixture
def token() -> str:
    """A form token as the page signs it, shown a minute ago (a person's fill time)."""
    return signing.dumps({"at": int(time.time()) - 60, "key": "k1"}, salt=PUBLIC_FORM_SALT)


@pytest.fixture
def citizen_data(token, category, street):
    def make(**overrides) -> dict:
        data = {
            "token": token,
            "website": "",
            "kind": "complaint",
            "topic": category.parent.parent_id,
            "category": category.pk,
            "description": "小区门口路灯坏了两周。",
            "phone": "13700001234",
            "name": "赵六",
            "district": street.parent_id,
            "street": street.pk,
            "address": "幸福小区东门",
        }
        data.update(overrides)
        return data

    return make


# --- Online request form -------------------------------------------------------------------


def test_form_opens_without_login_with_a_signed_token(client):
    response = client.get(SUBMIT)
    assert response.status_code == 200
    payload = signing.loads(response.context["token"], salt=PUBLIC_FORM_SALT)
    assert abs(payload["at"] - time.time()) < 5
    assert 'name="website"' in response.content.decode()


def test_citizen_request_creates_a_web_ticket_and_shows_its_number(client, citizen_data, street, category):
    # When a citizen sends a complete request
    response = client.post(SUBMIT, citizen_data())
    # Then a web ticket exists, queued for dispatch, and the page shows its tracking number
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB
    assert ticket.status == Status.AWAITING_DISPATCH
    assert ticket.created_by is None
    assert (ticket.category, ticket.street, ticket.caller.phone) == (category, street, "13700001234")
    assert ticket.number in response.content.decode()
    assert response.context["number"] == ticket.number


def test_a_citizen_who_asks_for_no_sms_is_not_texted(client, citizen_data):
    # When a citizen ticks the box asking not to be texted
    client.post(SUBMIT, citizen_data(sms_opt_out="on"))
    # Then their caller record gets no SMS (reply results, callback surveys)
    assert Ticket.objects.get().caller.sms_opt_out


def test_sending_the_same_form_twice_creates_one_ticket(client, citizen_data):
    first = client.post(SUBMIT, citizen_data())
    second = client.post(SUBMIT, citizen_data())
    assert Ticket.objects.count() == 1
    assert first.context["number"] == second.context["number"]


def test_filled_honeypot_is_rejected_without_a_ticket(client, citizen_data):
    response = client.post(SUBMIT, citizen_data(website="http://spam.example"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert "number" not in response.context


def test_a_form_sent_faster_than_a_person_can_is_rejected(client, citizen_data):
    fresh = signing.dumps({"at": int(time.time()), "key": "k2"}, salt=PUBLIC_FORM_SALT)
    response = client.post(SUBMIT, citizen_data(token=fresh))
    assert response.status_code == 400
    assert response.context["form"].errors["token"]
    assert not Ticket.objects.exists()


def test_a_forged_token_is_rejected(client, citizen_data):
    forged = signing.dumps({"at": 0, "key": "k3"}, salt="something-else")
    response = client.post(SUBMIT, citizen_data(token=forged))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_bad_citizen_input_shows_field_errors(client, citizen_data):
    response = client.post(SUBMIT, citizen_data(phone="123", description=""))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"phone", "description"}
    assert not Ticket.objects.exists()


def test_requests_per_ip_are_rate_limited(client, citizen_data, settings):
    settings.HOTLINE_PUBLIC_SUBMIT_LIMIT = 2
    # Given two requests from one address
    for n in range(2):
        token = signing.dumps({"at": int(time.time()) - 60, "key": f"rl{n}"}, salt=PUBLIC_FORM_SALT)
        assert client.post(SUBMIT, citizen_data(token=token)).status_code == 200
    # When the same address sends a third one
    token = signing.dumps({"at": int(time.time()) - 60, "key": "rl-last"}, salt=PUBLIC_FORM_SALT)
    response = client.post(SUBMIT, citizen_data(token=token))
    # Then it is refused with 429 and no ticket is written
    assert response.status_code == 429
    assert response["Retry-After"]
    assert Ticket.objects.count() == 2
    # while another address still gets through
    other = client.post(SUBMIT, citizen_data(token=token), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_rate_limit_uses_the_address_the_proxy_saw(client, citizen_data, settings):
    settings.HOTLINE_PUBLIC_SUBMIT_LIMIT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 1
    client.post(SUBMIT, citizen_data(), HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
    # The citizen cannot dodge the limit by sending their own X-Forwarded-For entries
    spoofed = client.post(SUBMIT, citizen_data(), HTTP_X_FORWARDED_FOR="9.9.9.9, 2.2.2.2")
    assert spoofed.status_code == 429
    assert client.post(SUBMIT, citizen_data(), HTTP_X_FORWARDED_FOR="1.1.1.1, 3.3.3.3").status_code == 200


# --- Status page ---------------------------------------------------------------------------


@pytest.fixture
def replied_ticket(category) -> Ticket:
    return TicketFactory(
        status=Status.AWAITING_CALLBACK,
        category=category,
        caller__phone="13712345678",
        caller__name="钱七",
        public_reply="路灯已于3月2日修复。",
    )


def test_status_with_the_right_digits_shows_the_public_reply_and_no_phone(client, replied_ticket):
    response = client.post(STATUS, {"number": replied_ticket.number, "phone_last4": "5678"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "路灯已于3月2日修复。" in content
    assert replied_ticket.number in content
    assert "13712345678" not in content
    assert "5678" not in content.replace('value="5678"', "")
    assert "钱七" not in content
    assert replied_ticket.description not in content
    assert response.context["result"].status == Status.AWAITING_CALLBACK


@pytest.mark.parametrize(("number", "digits"), [(None, "1234"), ("20990101000001", "5678")])
def test_wrong_digits_and_unknown_numbers_get_the_same_neutral_answer(client, replied_ticket, number, digits):
    # When the digits are wrong, or the number does not exist
    response = client.post(STATUS, {"number": number or replied_ticket.number, "phone_last4": digits})
    # Then the page gives the one neutral "not found", and nothing of the ticket
    assert response.status_code == 200
    assert (response.context["not_found"], response.context["result"]) == (True, None)
    content = response.content.decode()
    assert 'class="card public not-found"' in content
    assert 'class="card public result"' not in content
    assert "路灯已于3月2日修复。" not in content


def test_a_merged_request_shows_the_progress_of_the_matter(client, category):
    child = TicketFactory(status=Status.MERGED, category=category, caller__phone="13700009999")
    Ticket.objects.filter(pk=child.parent_id).update(public_reply="已统一处理。")
    response = client.post(STATUS, {"number": child.number, "phone_last4": "9999"})
    assert response.context["result"].merged is True
    assert "已统一处理。" in response.content.decode()


def test_status_lookups_are_rate_limited(client, replied_ticket, settings):
    settings.HOTLINE_PUBLIC_STATUS_LIMIT = 3
    for digits in ["0001", "0002", "0003"]:
        assert client.post(STATUS, {"number": "x", "phone_last4": digits}).status_code == 200
    assert client.post(STATUS, {"number": replied_ticket.number, "phone_last4": "5678"}).status_code == 429


def test_a_number_guessed_too_often_stays_not_found_from_any_address(client, replied_ticket, settings):
    settings.HOTLINE_PUBLIC_STATUS_LIMIT = 3
    for n, digits in enumerate(["0001", "0002", "0003"]):
        client.post(STATUS, {"number": replied_ticket.number, "phone_last4": digits}, REMOTE_ADDR=f"10.0.0.{n}")
    response = client.post(STATUS, {"number": replied_ticket.number, "phone_last4": "5678"}, REMOTE_ADDR="10.0.1.1")
    assert response.context["not_found"] is True


def test_a_request_without_a_street_is_placed_from_its_address(gazetteer, client, citizen_data):
    # Given a citizen who typed an address but chose neither district nor street
    street_light = Category.objects.get(name="路灯不亮")
    data = citizen_data(
        topic=street_light.parent.parent_id,
        category=street_light.pk,
        district="",
        street="",
        address="北京市丰台区新村街道怡海花园社区12号楼东侧",
    )
    # When the form is sent
    assert client.post(SUBMIT, data).status_code == 200
    # Then the ticket is placed where the address says
    ticket = Ticket.objects.get()
    assert (ticket.street.name, ticket.community_id) == ("新村街道", "110106010015")
