"""Categories, units and roles kept by each process: read once, read again after any published change."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from hotline import reference, services
from hotline.models import Category, Role, Unit, UnitKind
from hotline.roles import has_role
from tests.factories import CategoryFactory, MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(reference.time, "monotonic", clock)
    return clock


def test_a_row_is_read_once(django_assert_num_queries):
    category = CategoryFactory()
    assert reference.get(Category, pk=category.pk) == category
    with django_assert_num_queries(0):
        again = reference.get(Category, pk=category.pk)
    assert again.parent == category.parent  # read with it


def test_many_rows_not_yet_read_are_read_in_one_query_and_then_kept(django_assert_num_queries):
    # Given two units, one of them read already
    first, second = UnitFactory(), UnitFactory()
    reference.get(Unit, pk=first.pk)
    # When both are asked for, with an unknown id and a missing one (None)
    with django_assert_num_queries(1):
        rows = reference.get_many(Unit, pks=[first.pk, second.pk, 10**9, None])
    # Then the known ones come back, the unknown one is absent, and asking again reads nothing
    assert rows == {first.pk: first, second.pk: second}
    assert rows[second.pk].parent == second.parent  # read with it
    with django_assert_num_queries(0):
        assert reference.get_many(Unit, pks=[second.pk, first.pk]) == rows


def test_an_unknown_id_is_none_and_not_remembered():
    assert reference.get(Category, pk=10**9) is None
    category = CategoryFactory()
    assert reference.get(Category, pk=category.pk) == category


def test_a_change_this_process_publishes_is_read_at_once(beijing, django_capture_on_commit_callbacks):
    # Given a street this process has read
    street = Unit.objects.filter(kind=UnitKind.STREET).first()
    name = street.name
    reference.get(Unit, pk=street.pk)
    # When its name is edited and the org load repairs it
    Unit.objects.filter(pk=street.pk).update(name="改过的名字")
    assert reference.get(Unit, pk=street.pk).name == name  # kept: nobody has published a change
    with django_capture_on_commit_callbacks(execute=True):
        services.load_units(rows=services.read_unit_rows())
    # Then the next read has the repaired row
    assert reference.get(Unit, pk=street.pk).name == name
    assert Unit.objects.get(pk=street.pk).name == name


def test_another_process_change_is_read_within_the_recheck_interval(clock):
    # Given a category read by this process
    category = CategoryFactory()
    reference.get(Category, pk=category.pk)
    # When another process deactivates it and publishes a new version
    Category.objects.filter(pk=category.pk).update(is_active=False)
    cache.set(reference.VERSION_KEY, "from-another-process", timeout=None)
    # Then this process keeps its row until it looks at the version again, at most a second later
    clock.now += reference.RECHECK_SECONDS / 2
    assert reference.get(Category, pk=category.pk).is_active
    clock.now += reference.RECHECK_SECONDS
    assert not reference.get(Category, pk=category.pk).is_active


def test_a_rolled_back_change_is_not_published(django_capture_on_commit_callbacks):
    def change_then_fail() -> None:
        with transaction.atomic():
            reference.changed()
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        change_then_fail()
    assert callbacks == []


def test_admin_edits_and_deletes_are_published(admin_client, django_capture_on_commit_callbacks):
    # Given a category every process may have read
    category = CategoryFactory()
    reference.get(Category, pk=category.pk)
    # When an admin deactivates it
    form = {
        "code": category.code,
        "name": category.name,
        "name_en": "",
        "parent": category.parent_id,
        "level": 3,
        "default_tier": category.default_tier,
        "_save": "Save",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:hotline_category_change", args=[category.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    # Then the next read sees it inactive
    assert not reference.get(Category, pk=category.pk).is_active
    # And when the admin deletes it, it is gone for the process too
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:hotline_category_delete", args=[category.pk]), {"post": "yes"})
    assert reference.get(Category, pk=category.pk) is None


def test_roles_are_read_once_and_a_granted_role_counts_at_once(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given an officer whose roles this process has read
    unit = UnitFactory()
    officer = UserFactory()
    services.grant_role(user=officer, unit=unit, role=Role.UNIT_OFFICER)
    assert reference.roles_of(user_id=officer.pk) == {Role.UNIT_OFFICER}
    with django_assert_num_queries(0):
        assert not has_role(user=officer, roles={Role.UNIT_LEADER})
    # When a role is granted through the service
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_role(user=officer, unit=unit, role=Role.UNIT_LEADER)
    # Then it counts for the next check
    assert has_role(user=officer, roles={Role.UNIT_LEADER})


def test_a_membership_removed_in_the_admin_is_revoked_at_once(admin_client, django_capture_on_commit_callbacks):
    # Given an agent whose role this process has read
    membership = MembershipFactory(role=Role.AGENT)
    assert has_role(user=membership.user, roles={Role.AGENT})
    # When an admin deletes the membership
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:hotline_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    # Then the role no longer counts
    assert not has_role(user=membership.user, roles={Role.AGENT})


def test_memberships_edited_inline_on_the_user_are_published(admin_client, django_capture_on_commit_callbacks):
    # Given a user without roles, as this process has read
    user = UserFactory()
    unit = UnitFactory()
    assert reference.roles_of(user_id=user.pk) == frozenset()
    # When an admin adds a membership on the user's page
    page = admin_client.get(reverse("admin:hotline_user_change", args=[user.pk]))
    form = {**page.context["adminform"].form.initial}
    form.update(
        {
            "username": user.username,
            "date_joined_0": page.context["adminform"].form["date_joined"].value().strftime("%Y-%m-%d"),
            "date_joined_1": "00:00:00",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-unit": unit.pk,
            "memberships-0-role": Role.DISPATCHER,
            "_save": "Save",
        }
    )
    form = {
        key: value
        for key, value in form.items()
        if value is not None and key not in ("groups", "user_permissions", "password", "last_login")
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:hotline_user_change", args=[user.pk]), form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    # Then the new role counts at once
    assert has_role(user=user, roles={Role.DISPATCHER})


def test_without_redis_rows_come_from_the_process_and_roles_from_the_database(clock, redis_unreachable):
    # Given a category and an agent
    category = CategoryFactory()
    membership = MembershipFactory(role=Role.AGENT)
    # When Redis is unreachable, they are still read (from the database)
    assert reference.get(Category, pk=category.pk) == category
    assert has_role(user=membership.user, roles={Role.AGENT})
    # and a role revoked meanwhile stops counting within the recheck interval
    membership.delete()
    clock.now += reference.RECHECK_SECONDS
    assert not has_role(user=membership.user, roles={Role.AGENT})


def test_a_change_that_could_not_be_published_is_published_once_redis_is_back(
    clock, settings, django_capture_on_commit_callbacks
):
    # Given a version every process holds
    cache.set(reference.VERSION_KEY, "before", timeout=None)
    reachable = settings.CACHES
    # When a change commits while Redis is unreachable
    settings.CACHES = {"default": {**reachable["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with django_capture_on_commit_callbacks(execute=True):
        reference.changed()  # does not raise after the commit
    # Then, once Redis is back, this process's next recheck publishes it
    settings.CACHES = reachable
    clock.now += reference.RECHECK_SECONDS
    reference.get(Category, pk=CategoryFactory().pk)
    assert cache.get(reference.VERSION_KEY) not in {None, "before"}
