"""The one role check: members hold their roles, a superuser holds every role, nobody else any."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from hotline.models import Role
from hotline.roles import DISPATCH_ROLES, OVERSIGHT_ROLES, has_role, holds
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("hotline", "intake", "dispatch", "evaluation", "analytics", "open311")


def test_a_member_holds_the_roles_of_their_memberships_only(make_user):
    dispatcher = make_user(Role.DISPATCHER)

    assert holds(user=dispatcher, roles=DISPATCH_ROLES)
    assert not holds(user=dispatcher, roles=OVERSIGHT_ROLES)


def test_a_superuser_holds_every_role_without_a_membership():
    admin = UserFactory(is_superuser=True)

    assert all(holds(user=admin, roles={role}) for role in Role)
    assert not has_role(user=admin, roles=set(Role))  # the raw membership read does not count them


def test_an_anonymous_user_holds_nothing():
    assert not holds(user=AnonymousUser(), roles=set(Role))


def test_the_superuser_rule_is_spelled_only_in_hotline_roles():
    # Permission checks go through holds(): a second spelling would let the two rules drift apart.
    spelled = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and re.search(r"is_superuser\s+or\b", path.read_text(encoding="utf-8"))
    ]
    assert spelled == ["hotline/roles.py"]
