"""The hotline centre, the unit whose staff the Open311 clients' users are."""

from hotline.models import Unit, UnitKind
from tests.factories.hotline import UnitFactory


def hotline_center() -> Unit:
    """The hotline centre unit, where Open311 clients' users hold their API-client role."""
    return Unit.objects.filter(kind=UnitKind.HOTLINE_CENTER).first() or UnitFactory(
        name="12345热线服务中心", kind=UnitKind.HOTLINE_CENTER
    )
