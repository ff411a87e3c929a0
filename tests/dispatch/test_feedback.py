"""双反馈: when the lead unit's reply is final, the caller is texted the result once through the SMS
outbox; the templates per outcome, their length check, and who is never texted."""

from importlib import import_module

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from dispatch import feedback, services
from dispatch.admin import FeedbackTemplateAdminForm
from dispatch.models import FeedbackTemplate, ReplyOutcome
from evaluation import callbacks as callback_services
from evaluation.callbacks import CallbackAnswer
from evaluation.models import Callback, Resolution, Satisfaction
from hotline.errors import DomainError
from hotline.models import Role, SmsMessage, SmsStatus
from intake.lifecycle import Status
from intake.models import Caller, Channel, Ticket
from tests.conftest import wait_until
from tests.factories import CallerFactory
from tests.hotline.conftest import sms_provider, sms_worker  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

BASE = "https://12345.example.gov.cn"
LINK = f"{BASE}/public/status/"
DEFAULTS = import_module("dispatch.migrations.0011_feedback_template_defaults").DEFAULTS
UNIT_AT_FAULT = CallbackAnswer(
    reached=True, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED, unit_at_fault=True
)


@pytest.fixture(autouse=True)
def configured(settings) -> None:
    """A public origin for the link, the default signature and 3 segments; the seeded templates
    (a transactional test before this one may have flushed them)."""
    settings.PUBLIC_BASE_URL = BASE
    settings.SMS_SIGNATURE = "【12345热线】"
    settings.FEEDBACK_SMS_MAX_SEGMENTS = 3
    for outcome, text in DEFAULTS.items():
        FeedbackTemplate.objects.update_or_create(outcome=outcome, defaults={"text": text, "is_active": True})


@pytest.fixture
def signed(org, staff, dispatched):
    """signed(**ticket_fields): street A's signed lead assignment."""

    def make(**fields):
        return services.sign(assignment_id=dispatched(org.street_a, **fields).pk, actor=staff.officer_a)

    return make


def reply(lead, staff, text="工地已停止夜间施工，施工单位已被约谈。", outcome=ReplyOutcome.RESOLVED, **extra):
    return services.reply(assignment_id=lead.pk, actor=staff.officer_a, text=text, outcome=outcome, **extra)


# Who is texted, and how often


def test_the_caller_of_a_replied_ticket_is_texted_the_result_once(signed, staff, django_capture_on_commit_callbacks):
    # Given a signed ticket of a caller with a mobile number
    lead = signed(caller=CallerFactory(phone="13900001111"))
    number = lead.ticket.number
    # When the lead unit replies
    with django_capture_on_commit_callbacks() as enqueued:
        reply(lead, staff)
    # Then one SMS is recorded in the outbox, keyed by the assignment and round, and enqueued on commit
    message = SmsMessage.objects.get()
    assert (message.phone, message.key, message.status) == ("13900001111", f"reply-feedback:{lead.pk}:1", "pending")
    assert (
        message.text
        == f"您反映的问题（工单{number}）已办结：工地已停止夜间施工，施工单位已被约谈。 查询办理情况：{LINK}"
    )
    assert len(enqueued) == 1
    # And a second submission is refused and a retried queueing records nothing more
    with pytest.raises(DomainError):
        reply(lead, staff)
    lead.refresh_from_db()
    feedback.queue_reply_feedback(assignment=lead, ticket=Ticket.objects.get(pk=lead.ticket_id))
    assert SmsMessage.objects.count() == 1
    # And the hotline's copy stays as it was: the public reply on the ticket
    assert Ticket.objects.get(pk=lead.ticket_id).public_reply == "工地已停止夜间施工，施工单位已被约谈。"


def test_the_outcome_picks_the_template_and_the_explanation_is_part_of_the_summary(signed, staff):
    lead = signed(caller=CallerFactory(phone="13900001112"))
    reply(lead, staff, text="已协调物业", outcome=ReplyOutcome.UNRESOLVED, explanation="产权单位未答复")
    text = SmsMessage.objects.get().text
    assert text.startswith(f"您反映的问题（工单{lead.ticket.number}）暂无法解决：已协调物业 产权单位未答复 ")


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"confidential": True, "caller": None}, id="confidential"),
        pytest.param({"caller": None}, id="landline"),
        pytest.param({"caller": None, "channel": Channel.PROACTIVE}, id="no-caller"),
        pytest.param({"caller": None}, id="opted-out"),
    ],
)
def test_no_sms_for_confidential_landline_opted_out_or_absent_callers(signed, staff, fields, request):
    # Given a ticket whose caller may not (or cannot) be texted
    case = request.node.callspec.id
    if case == "confidential":
        fields["caller"] = CallerFactory(phone="13900002221")
    elif case == "landline":
        fields["caller"] = CallerFactory(phone="01065123456")
    elif case == "opted-out":
        fields["caller"] = CallerFactory(phone="13900002222", sms_opt_out=True)
    lead = signed(**fields)
    # When the lead unit replies
    reply(lead, staff)
    # Then the ticket awaits its callback as usual, and no SMS is recorded
    assert Ticket.objects.get(pk=lead.ticket_id).status == Status.AWAITING_CALLBACK
    assert not SmsMessage.objects.exists()


def test_no_sms_for_an_inactive_template_or_without_a_public_origin(signed, staff, settings):
    FeedbackTemplate.objects.filter(outcome=ReplyOutcome.RESOLVED).update(is_active=False)
    reply(signed(caller=CallerFactory(phone="13900003331")), staff)
    settings.PUBLIC_BASE_URL = ""
    reply(
        signed(caller=CallerFactory(phone="13900003332")), staff, outcome=ReplyOutcome.PARTLY_RESOLVED, explanation="x"
    )
    assert not SmsMessage.objects.exists()


def test_a_district_unit_replying_to_its_district_texts_nobody_until_the_district_confirms(
    org, staff, dispatched, make_user
):
    # Given a ticket the hotline dispatched to the district, passed down to street A
    sub_centre = make_user(Role.DISTRICT_DISPATCHER, org.district, username="fengtai_dispatch")
    district = services.sign(
        assignment_id=dispatched(org.district, caller=CallerFactory(phone="13900004441")).pk, actor=sub_centre
    )
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    services.sign(assignment_id=street.pk, actor=staff.officer_a)
    # When the street replies to the district
    services.reply(assignment_id=street.pk, actor=staff.officer_a, text="已处理完毕", outcome=ReplyOutcome.RESOLVED)
    # Then the caller is not texted yet
    assert not SmsMessage.objects.exists()
    # And when the district confirms the reply as its own, the caller is texted once, for the district's reply
    services.confirm_reply(assignment_id=district.pk, actor=sub_centre)
    message = SmsMessage.objects.get()
    assert message.key == f"reply-feedback:{district.pk}:1"
    assert "已处理完毕" in message.text


def test_a_reopened_ticket_replied_again_texts_the_new_rounds_result(signed, staff, make_user, org):
    # Given a replied ticket whose caller was texted, reopened after an unsatisfied callback (重办)
    lead = signed(caller=CallerFactory(phone="13900005551"))
    reply(lead, staff, text="第一次答复")
    callback_services.open_due_callbacks()
    callback_services.record_callback(
        callback_id=Callback.objects.get().pk, answer=UNIT_AT_FAULT, actor=make_user(Role.CALLBACK_AGENT, org.hotline)
    )
    assert Ticket.objects.get(pk=lead.ticket_id).status == Status.IN_PROGRESS
    # When the unit replies again
    reply(lead, staff, text="第二次答复")
    # Then the caller gets a second SMS, for the new round
    rounds = dict(SmsMessage.objects.filter(key__startswith="reply-feedback:").values_list("key", "text"))
    assert set(rounds) == {f"reply-feedback:{lead.pk}:1", f"reply-feedback:{lead.pk}:2"}
    assert "第二次答复" in rounds[f"reply-feedback:{lead.pk}:2"]


def test_the_callback_survey_sms_honours_the_opt_out(signed, staff):
    # Given two replied tickets, one of a caller who asked for no SMS
    texted = signed(caller=CallerFactory(phone="13900006661"))
    opted_out = signed(caller=CallerFactory(phone="13900006662", sms_opt_out=True))
    reply(texted, staff)
    reply(opted_out, staff)
    # When their callbacks open
    assert callback_services.open_due_callbacks() == 2
    # Then only the first caller gets the survey link (and the reply SMS)
    assert set(SmsMessage.objects.values_list("phone", flat=True)) == {"13900006661"}


# Length


def test_a_long_reply_is_shortened_to_fit_the_segments_with_the_signature(signed, staff, settings):
    lead = signed(caller=CallerFactory(phone="13900007771"))
    reply(lead, staff, text="施工单位已整改。" * 60)
    text = SmsMessage.objects.get().text
    assert len(text) + len("【12345热线】") == 3 * 67
    assert "施工单位已整改。…" in text or "…" in text
    assert text.endswith(LINK)


def test_one_segment_allows_70_characters(settings):
    settings.FEEDBACK_SMS_MAX_SEGMENTS = 1
    assert feedback.max_chars() == 70
    settings.FEEDBACK_SMS_MAX_SEGMENTS = 2
    assert feedback.max_chars() == 134


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("工单{number}：{summary} {link} {name}", "{name}"),
        ("工单{number}：{summary}", "{link}"),
        ("工单{number}：{summary} {link} {summary}", "{summary}"),
        ("工单{number：{summary} {link}", "brace"),
        ("很长的固定文字。" * 20 + "{summary}{link}", "Too long"),
    ],
)
def test_a_template_that_cannot_make_an_sms_is_refused(text, error, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(DomainError) as refused:
        feedback.check_template(text=text)
    assert (refused.value.code, refused.value.status) == ("invalid", 400)
    assert error in " ".join(refused.value.fields["text"])


def test_fewer_segments_make_a_template_too_long(settings):
    text = DEFAULTS["resolved"]
    assert feedback.check_template(text=text) == text
    settings.FEEDBACK_SMS_MAX_SEGMENTS = 1
    with pytest.raises(DomainError):
        feedback.check_template(text=text)


# The templates page and the admin


def test_supervisors_edit_a_template_on_its_page(client, make_user, org, django_assert_max_num_queries):
    supervisor = make_user(Role.HOTLINE_SUPERVISOR, org.hotline)
    client.force_login(supervisor)
    url = reverse("dispatch:feedback_template_edit", args=["resolved"])
    client.get(reverse("dispatch:feedback_templates"))  # (the session's first page reads the roles)
    # The list shows each outcome with an example, in a fixed number of queries
    with django_assert_max_num_queries(8):
        listing = client.get(reverse("dispatch:feedback_templates"))
    assert listing.status_code == 200
    assert listing.content.decode().count("data-outcome=") == 3
    # A preview does not save
    response = client.post(url, {"text": "工单{number}已办结：{summary} 详见{link}", "is_active": "on", "preview": "1"})
    assert response.status_code == 200
    assert "data-preview" in response.content.decode()
    assert FeedbackTemplate.objects.get(outcome="resolved").text == DEFAULTS["resolved"]
    # Saving a valid text stores it
    response = client.post(url, {"text": "工单{number}已办结：{summary} 详见{link}", "is_active": "on"})
    assert response.status_code == 302
    template = FeedbackTemplate.objects.get(outcome="resolved")
    assert (template.text, template.is_active, template.updated_by) == (
        "工单{number}已办结：{summary} 详见{link}",
        True,
        supervisor,
    )
    # A text that leaves no room for the reply is shown again with the error (400), not saved
    response = client.post(url, {"text": "很长的固定文字。" * 20 + "{summary}{link}", "is_active": "on"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert FeedbackTemplate.objects.get(outcome="resolved").text == "工单{number}已办结：{summary} 详见{link}"


@pytest.mark.parametrize("role", [Role.UNIT_OFFICER, Role.DISPATCHER, Role.AGENT])
def test_other_roles_do_not_find_the_templates(client, make_user, org, role):
    client.force_login(make_user(role, org.street_a if role == Role.UNIT_OFFICER else org.hotline))
    assert client.get(reverse("dispatch:feedback_templates")).status_code == 404
    response = client.post(reverse("dispatch:feedback_template_edit", args=["resolved"]), {"text": "{summary}{link}"})
    assert response.status_code == 404


def test_city_admins_edit_them_too_and_an_unknown_outcome_is_not_found(client, make_user, org):
    client.force_login(make_user(Role.CITY_ADMIN, org.hotline))
    assert client.get(reverse("dispatch:feedback_templates")).status_code == 200
    assert client.get(reverse("dispatch:feedback_template_edit", args=["nonsense"])).status_code == 404


def test_the_admin_form_checks_the_length_too(admin_user):
    form = FeedbackTemplateAdminForm(data={"outcome": "resolved", "text": "很长的固定文字。" * 20 + "{summary}{link}"})
    assert not form.is_valid()
    assert "text" in form.errors
    admin = site._registry[FeedbackTemplate]
    request = RequestFactory().get("/")
    request.user = admin_user
    assert admin.has_delete_permission(request) is False


def test_the_admin_saves_a_valid_template(admin_client):
    template = FeedbackTemplate.objects.get(outcome="partly_resolved")
    url = reverse("admin:dispatch_feedbacktemplate_change", args=[template.pk])
    response = admin_client.post(
        url, {"outcome": "partly_resolved", "text": "部分解决：{summary}{link}", "is_active": "on"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.text == "部分解决：{summary}{link}"
    response = admin_client.post(url, {"outcome": "partly_resolved", "text": "部分解决：{summary}", "is_active": "on"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_caller_admin_shows_the_opt_out_and_leaves_the_switch_to_the_ticket_page(admin_client):
    # Given a caller who asked for no SMS
    caller = CallerFactory(phone="13900008881", sms_opt_out=True)
    url = reverse("admin:intake_caller_change", args=[caller.pk])

    # When an admin opens the caller and saves it with the box left out
    content = admin_client.get(url).content.decode()
    response = admin_client.post(url, {"phone": caller.phone, "name": caller.name, "enterprise_name": ""})

    # Then the request is shown but cannot be changed there (the ticket page's switch records who changed it)
    assert "field-sms_opt_out" in content
    assert 'name="sms_opt_out"' not in content
    assert response.status_code == 302
    assert Caller.objects.get(pk=caller.pk).sms_opt_out
    assert Caller._meta.get_field("sms_opt_out").default is False


# A real worker


@pytest.mark.celery_worker
def test_a_real_worker_delivers_the_reply_sms_through_the_http_provider(
    sms_worker,  # noqa: F811
    sms_provider,  # noqa: F811
    signed,
    staff,
):
    # Given a signed ticket of a mobile caller, and a worker whose backend is the HTTP provider
    lead = signed(caller=CallerFactory(phone="13900009991"))
    # When the lead replies (committed: the enqueue goes to the Redis broker)
    reply(lead, staff)
    # Then the worker sends the caller's SMS once, with the outbox key as the Idempotency-Key
    wait_until(lambda: SmsMessage.objects.filter(status=SmsStatus.SENT).exists(), timeout=30)
    message = SmsMessage.objects.get()
    assert [(r["body"]["phone"], r["body"]["text"], r["idempotency_key"]) for r in sms_provider.requests] == [
        ("13900009991", message.text, f"reply-feedback:{lead.pk}:1")
    ]
