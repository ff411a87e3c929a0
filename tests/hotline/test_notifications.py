"""Notifications: idempotent senders, recipients by role, unread count, mark read, page, API, badge."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline import notifications
from hotline.models import Notification, Role, SmsMessage
from tests.conftest import login, wait_for_js
from tests.factories import DistrictFactory, MembershipFactory, StreetFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_notify_unit_twice_with_the_same_key_notifies_each_member_once(make_user):
    # Given a unit with an officer and a leader
    unit = UnitFactory()
    officer, leader = make_user(Role.UNIT_OFFICER, unit), make_user(Role.UNIT_LEADER, unit)
    # When the same event notifies the unit twice (a retry, a second sweep)
    first = notifications.notify_unit(unit=unit, kind="supervised", title="督办", key="supervise:1")
    second = notifications.notify_unit(unit=unit, kind="supervised", title="督办", key="supervise:1")
    # Then each member has exactly one notification, and the second call reports nothing new
    assert (first, second) == (2, 0)
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted([officer.pk, leader.pk])


def test_a_new_key_notifies_again():
    user = UserFactory()
    notifications.notify_users(users=[user], kind="system", title="a", key="k1")
    assert notifications.notify_users(users=[user], kind="system", title="b", key="k2") == 1
    assert notifications.unread_count(user=user) == 2


def test_notify_unit_reaches_only_members_with_the_given_roles_of_that_unit(make_user):
    # Given a unit's officer, leader and a dispatcher, an inactive officer, and another unit's officer
    unit = UnitFactory()
    officer, leader = make_user(Role.UNIT_OFFICER, unit), make_user(Role.UNIT_LEADER, unit)
    make_user(Role.DISPATCHER, unit)
    make_user(Role.UNIT_OFFICER, unit, is_active=False)
    make_user(Role.UNIT_OFFICER, UnitFactory())
    # When the unit is notified with the default roles, and then the leaders only
    assert notifications.notify_unit(unit=unit, kind="dispatched", title="新工单", key="t:1") == 2
    assert (
        notifications.notify_unit(unit=unit, kind="supervised", title="督办", key="t:2", roles=[Role.UNIT_LEADER]) == 1
    )
    # Then only the unit's active officers and leaders got the first, only the leader the second
    got = {(n.recipient_id, n.key) for n in Notification.objects.all()}
    assert got == {(officer.pk, "t:1"), (leader.pk, "t:1"), (leader.pk, "t:2")}


def test_a_user_with_two_roles_in_the_unit_is_notified_once():
    unit = UnitFactory()
    user = UserFactory()
    MembershipFactory(user=user, unit=unit, role=Role.UNIT_OFFICER)
    MembershipFactory(user=user, unit=unit, role=Role.UNIT_LEADER)
    assert notifications.notify_unit(unit=unit, kind="system", title="x", key="k") == 1


def test_many_recipients_are_inserted_in_batches(monkeypatch):
    monkeypatch.setattr(notifications, "_INSERT_BATCH", 2)
    users = [UserFactory() for _ in range(5)]
    assert notifications.notify_users(users=users, kind="system", title="x", key="k") == 5
    assert notifications.notify_users(users=users, kind="system", title="x", key="k") == 0
    assert Notification.objects.count() == 5


def test_district_supervisors_are_notified_of_their_district_only(make_user):
    # Given two districts with a supervisor each, and a street officer of the first
    district, other = DistrictFactory(), DistrictFactory()
    supervisor = make_user(Role.DISTRICT_SUPERVISOR, district)
    make_user(Role.DISTRICT_SUPERVISOR, other)
    make_user(Role.UNIT_OFFICER, StreetFactory(parent=district))
    # When the first district's supervisors are notified of an escalation
    count = notifications.notify_district_supervisors(district=district, kind="escalated", title="超期", key="e:1")
    # Then only its supervisor got it
    assert count == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [supervisor.pk]


def test_unread_count_and_mark_read():
    # Given three unread notifications
    user = UserFactory()
    for i in range(3):
        notifications.notify_users(users=[user], kind="system", title=f"n{i}", key=f"k{i}")
    first = notifications.notifications_for(user=user).last()
    assert notifications.unread_count(user=user) == 3
    # When one is marked read (twice: idempotent), then all
    notifications.mark_read(user=user, notification_id=first.pk)
    read_at = notifications.mark_read(user=user, notification_id=first.pk).read_at
    assert read_at is not None
    assert notifications.unread_count(user=user) == 2
    assert [n.title for n in notifications.notifications_for(user=user, unread_only=True)] == ["n2", "n1"]
    assert notifications.mark_all_read(user=user) == 2
    # Then nothing is unread, and the first one kept its original read time
    assert notifications.unread_count(user=user) == 0
    first.refresh_from_db()
    assert first.read_at == read_at


def test_marking_another_users_notification_is_not_found():
    owner, other = UserFactory(), UserFactory()
    notifications.notify_users(users=[owner], kind="system", title="x", key="k")
    notification = Notification.objects.get()
    with pytest.raises(notifications.DomainError) as error:
        notifications.mark_read(user=other, notification_id=notification.pk)
    assert error.value.status == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_sms_kinds_record_one_sms_per_new_notification_for_recipients_with_a_mobile(settings):
    # Given "overdue" is an SMS kind, and two recipients of whom one has a mobile number
    settings.HOTLINE_SMS_KINDS = frozenset({"overdue"})
    with_mobile, without = UserFactory(mobile="13812345678"), UserFactory(mobile="")
    # When they are notified twice with the same key, and once with a non-SMS kind
    for _ in range(2):
        notifications.notify_users(users=[with_mobile, without], kind="overdue", title="工单超期", key="o:1")
    notifications.notify_users(users=[with_mobile], kind="system", title="系统", key="s:1")
    # Then exactly one SMS is recorded, pending, for the recipient with a mobile
    sms = SmsMessage.objects.get()
    assert (sms.phone, sms.text, sms.status) == ("13812345678", "工单超期", "pending")
    assert sms.key == f"notification:{Notification.objects.get(recipient=with_mobile, key='o:1').pk}"


def test_a_link_must_be_a_local_path():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        notifications.notify_users(
            users=[UserFactory()], kind="system", title="x", link="https://evil.example", key="k"
        )


# API


def notify(user, n: int, **fields) -> list[Notification]:
    for i in range(n):
        notifications.notify_users(users=[user], kind="system", title=f"通知{i}", key=f"{user.pk}:{i}", **fields)
    return list(notifications.notifications_for(user=user))


def test_the_api_lists_only_the_users_own_notifications(api_client):
    # Given two users with notifications
    me, other = UserFactory(), UserFactory()
    mine = notify(me, 2)
    theirs = notify(other, 1)[0]
    api_client.force_authenticate(me)
    # When I list notifications
    response = api_client.get("/api/v1/notifications/")
    # Then I see mine only, newest first
    assert response.status_code == 200
    assert [n["id"] for n in response.json()["results"]] == [n.pk for n in mine]
    # And another user's notification is not found, to read or to mark read, and stays unread
    assert api_client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    response = api_client.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_filters_unread_and_marks_read(api_client):
    # Given three unread notifications
    me = UserFactory()
    first, second, third = notify(me, 3)
    api_client.force_authenticate(me)
    # When I mark one read
    response = api_client.post(f"/api/v1/notifications/{second.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    # Then the unread filter and the unread count leave it out
    unread = api_client.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]
    assert [n["id"] for n in unread] == [first.pk, third.pk]
    assert api_client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    # And marking all read clears the rest
    assert api_client.post("/api/v1/notifications/read-all/").json() == {"marked": 2, "unread": 0}
    assert api_client.get("/api/v1/notifications/", {"unread": "true"}).json()["results"] == []


def test_the_api_needs_login(api_client):
    assert api_client.get("/api/v1/notifications/").status_code in (401, 403)


def test_the_api_list_is_cursor_paginated_with_bounded_queries(api_client, django_assert_max_num_queries):
    me = UserFactory()
    notify(me, 60)
    api_client.force_authenticate(me)
    with django_assert_max_num_queries(3):
        page = api_client.get("/api/v1/notifications/").json()
    assert len(page["results"]) == 50
    rest = api_client.get(page["next"]).json()
    assert len(rest["results"]) == 10
    assert rest["next"] is None


# HTML


def test_the_page_lists_my_notifications_with_bounded_queries(client, django_assert_max_num_queries):
    # Given many notifications of mine and one of another user
    me = UserFactory()
    notify(me, 40, link="/tickets/1/")
    notify(UserFactory(), 1)
    client.force_login(me)
    # When I open the notification centre
    with django_assert_max_num_queries(6):
        response = client.get("/notifications/")
    # Then I see a page of mine, an unread badge of 40 and a link to older ones
    assert response.status_code == 200
    page = response.context["notifications"]
    assert len(page) == 30
    assert {n.recipient_id for n in page} == {me.pk}
    assert response.context["unread_notifications"] == 40
    html = response.content.decode()
    assert 'data-unread-count aria-label="未读通知">40</span>' in html
    older = client.get(f"/notifications/?before={response.context['next_before']}")
    assert len(older.context["notifications"]) == 10
    assert older.context["next_before"] is None


def test_the_badge_costs_one_count_query_on_every_page(client):
    # Given a user with three unread notifications
    me = UserFactory()
    notify(me, 3)
    client.force_login(me)
    # When any page renders
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    # Then the badge shows 3, from one COUNT over unread rows
    counts = [q["sql"] for q in captured.captured_queries if "hotline_notification" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT(*)" in counts[0]
    assert "read_at" in counts[0]
    assert 'aria-label="未读通知">3</span>' in response.content.decode()


def test_marking_read_on_the_page_clears_the_badge(client):
    # Given two unread notifications
    me = UserFactory()
    first, _ = notify(me, 2)
    client.force_login(me)
    # When I mark one read, then all
    response = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/?unread=1"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?unread=1"
    assert client.get("/notifications/").context["unread_notifications"] == 1
    response = client.post("/notifications/read-all/", follow=True)
    # Then none is unread and the badge is gone
    assert response.context["unread_notifications"] == 0
    assert "data-unread-count" not in response.content.decode()


def test_marking_read_answers_json_for_the_page_script(client):
    me = UserFactory()
    first, _ = notify(me, 2)
    client.force_login(me)
    response = client.post(f"/notifications/{first.pk}/read/", headers={"accept": "application/json"})
    assert response.json() == {"unread": 1}


def test_another_users_notification_is_404_on_the_page(client):
    me, other = UserFactory(), UserFactory()
    theirs = notify(other, 1)[0]
    client.force_login(me)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notification_marks_it_read_and_follows_its_link(client):
    me = UserFactory()
    notification = notify(me, 1, link="/tickets/42/")[0]
    client.force_login(me)
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert (response.status_code, response["Location"]) == (302, "/tickets/42/")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_the_next_parameter_never_leaves_the_site(client):
    me = UserFactory()
    first = notify(me, 1)[0]
    client.force_login(me)
    response = client.post(f"/notifications/{first.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_notify_roles_reaches_every_holder_of_the_roles_whatever_their_unit(make_user):
    # Given two dispatchers in different units, an inactive one, and a unit officer
    first, second = make_user(Role.DISPATCHER), make_user(Role.DISPATCHER)
    make_user(Role.DISPATCHER, is_active=False)
    officer = make_user(Role.UNIT_OFFICER)
    # When the dispatchers are notified, twice with one key
    assert notifications.notify_roles(roles=[Role.DISPATCHER], kind="system", title="待审核", key="k") == 2
    assert notifications.notify_roles(roles=[Role.DISPATCHER], kind="system", title="待审核", key="k") == 0
    # Then each active dispatcher has it once, and nobody else
    assert set(Notification.objects.values_list("recipient", flat=True)) == {first.pk, second.pk}
    assert not Notification.objects.filter(recipient=officer).exists()


# Browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_badge_shows_the_count_and_marking_read_clears_it(browser_page, make_user):
    # Given an officer with two unread notifications, one with a link
    officer = make_user(Role.UNIT_OFFICER, username="notified")
    notifications.notify_users(users=[officer], kind="dispatched", title="新工单待签收", link="/", key="a")
    notifications.notify_users(users=[officer], kind="supervised", title="督办：请加快办理", key="b")
    page = browser_page
    # When they log in, the header badge shows 2
    login(page, "notified")
    page.wait_for_url("**/")
    badge = page.locator(".session [data-unread-count]")
    assert badge.inner_text() == "2"
    # And in the notification centre, marking one read lowers it to 1 without a reload
    page.click(".session a.notification-link")
    page.wait_for_url("**/notifications/")
    assert page.locator(".notification.unread").count() == 2
    page.locator(".notification", has_text="督办").get_by_role("button", name="标为已读").click()
    wait_for_js(page, "document.querySelector('.session [data-unread-count]').textContent === '1'")
    assert page.locator(".notification.unread").count() == 1
    # And marking all read hides the badge
    page.get_by_role("button", name="全部标为已读").click()
    badge.wait_for(state="detached")
    assert page.locator(".notification.unread").count() == 0
    # Then after a reload there is still no badge, and the page had no script errors
    page.reload()
    assert badge.count() == 0
    assert page.js_errors == []
