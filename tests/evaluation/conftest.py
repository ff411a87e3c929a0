"""Fixtures for the evaluation pages and API: people in each role, callbacks due, a ranked month."""

from collections.abc import Callable
from datetime import date, timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from dispatch.models import AssignmentStatus, ReplyOutcome
from evaluation.models import (
    Callback,
    CallbackStatus,
    EvaluationScheme,
    MonthlyRanking,
    Resolution,
    Satisfaction,
)
from hotline.models import Role, Unit, User
from intake.lifecycle import Status
from tests.factories import (
    CallbackFactory,
    CallerFactory,
    DistrictFactory,
    LeadAssignmentFactory,
    StreetFactory,
    TicketFactory,
    allow_small_samples,
    at,
    published,
)
from tests.hotline.conftest import sms_provider, sms_worker  # noqa: F401  (the SMS worker's fixtures)

OCTOBER = date(2026, 10, 1)
PUBLIC_BASE_URL = "https://12345.example.gov.cn"


@pytest.fixture(autouse=True)
def scheme_presets(db) -> None:
    """The evaluation schemes the data migration seeds. Transactional tests (browser, worker) end
    with a flush that deletes them for the tests after them: seed them again (idempotently)."""
    import_module("evaluation.migrations.0002_scheme_presets").add_presets(apps, None)


@pytest.fixture
def survey_sms_worker(request, monkeypatch):
    """A real Celery worker that texts survey links (PUBLIC_BASE_URL set) through the fake HTTP
    SMS provider (`sms_provider`)."""
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    return request.getfixturevalue("sms_worker")


@pytest.fixture
def district(db) -> Unit:
    return DistrictFactory(name="测试东城区")


@pytest.fixture
def street(district) -> Unit:
    return StreetFactory(name="东华门街道", parent=district)


@pytest.fixture
def callback_agent(make_user) -> User:
    return make_user(Role.CALLBACK_AGENT, username="callback-agent")


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user(Role.HOTLINE_SUPERVISOR, username="supervisor")


@pytest.fixture
def city_admin(make_user) -> User:
    return make_user(Role.CITY_ADMIN, username="city-admin")


def pending_callback(*, unit: Unit, due_in: timedelta = timedelta(days=1), phone: str | None = None) -> Callback:
    """A ticket replied to by `unit` (awaiting callback) and its primary callback, not yet called."""
    now = timezone.now()
    caller = CallerFactory(phone=phone) if phone else CallerFactory()
    ticket = TicketFactory(status=Status.AWAITING_CALLBACK, caller=caller, public_reply="路灯已于昨日修复。")
    LeadAssignmentFactory(
        ticket=ticket,
        unit=unit,
        dispatched_at=now - timedelta(days=3),
        status=AssignmentStatus.REPLIED,
        replied_at=now - timedelta(days=1),
        reply="已安排电工更换灯泡，居民确认照明恢复。",
        outcome=ReplyOutcome.RESOLVED,
    )
    return CallbackFactory(
        ticket=ticket,
        unit=unit,
        due_at=now + due_in,
        status=CallbackStatus.PENDING,
        resolution="",
        satisfaction="",
        completed_at=None,
        attempts=0,
    )


@pytest.fixture
def make_pending_callback() -> Callable[..., Callback]:
    return pending_callback


def month_of_work(*, street: Unit, in_time: int, late: int, satisfied: int, unsatisfied: int) -> None:
    """October 2026 for one street (or any handling unit): lead assignments signed in time or
    late, answered callbacks."""
    for index in range(in_time + late):
        dispatched = at(2026, 10, 3)
        signed = dispatched + (timedelta(minutes=20) if index < in_time else timedelta(hours=3))
        LeadAssignmentFactory(unit=street, dispatched_at=dispatched, signed_at=signed)
    for _ in range(satisfied):
        CallbackFactory(unit=street)
    for _ in range(unsatisfied):
        CallbackFactory(unit=street, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED)


@pytest.fixture
def ranked_october(district) -> dict[str, Unit | MonthlyRanking]:
    """Three streets of one district and one of another, ranked for October 2026.

    good: 4/4 in time, 4 satisfied → 100.00; fair: 3/4, 3 satisfied + 1 unsatisfied → 75.00;
    poor: 1/4, 1 satisfied + 3 unsatisfied → 25.00 (10/45/45); other (50.00): another district's street.
    The district itself: 3/4 in time, 3 satisfied + 1 unsatisfied → 75.00.
    """
    # Classes that tell the lines apart: the best is advanced, the worst must rectify.
    EvaluationScheme.objects.filter(unit_kind="street").update(advanced_count=1, rectify_count=1)
    allow_small_samples()
    good = StreetFactory(name="甲街道", parent=district)
    fair = StreetFactory(name="乙街道", parent=district)
    poor = StreetFactory(name="丙街道", parent=district)
    other = StreetFactory(name="丁街道")
    month_of_work(street=good, in_time=4, late=0, satisfied=4, unsatisfied=0)
    month_of_work(street=fair, in_time=3, late=1, satisfied=3, unsatisfied=1)
    month_of_work(street=poor, in_time=1, late=3, satisfied=1, unsatisfied=3)
    month_of_work(street=other, in_time=2, late=2, satisfied=2, unsatisfied=2)
    # The tickets the hotline dispatched to the district itself: what the district ranking counts.
    month_of_work(street=district, in_time=3, late=1, satisfied=3, unsatisfied=1)
    ranking = published(month=OCTOBER, unit_kind="street")
    district_ranking = published(month=OCTOBER, unit_kind="district")
    return {
        "good": good,
        "fair": fair,
        "poor": poor,
        "other": other,
        "ranking": ranking,
        "district_ranking": district_ranking,
    }
