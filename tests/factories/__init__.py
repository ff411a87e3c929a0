"""The tests' factories and data builders, one module per app, all importable from here.

There is one factory per model's usual test row; a variant is a trait (`TicketFactory(filled_in=True)`),
not a second class of the same name elsewhere.
"""

from tests.factories.analytics import (
    City,
    Plan,
    Tree,
    generate,
    local,
    make_city,
    make_tree,
    month_start,
    plan_ticket,
    save_plans,
    series,
    sum_district_months,
)
from tests.factories.dispatch import (
    AssignmentFactory,
    AttachmentFactory,
    ProgressNoteFactory,
    RoutingRuleFactory,
    assign_many,
)
from tests.factories.evaluation import CallbackFactory, LeadAssignmentFactory, allow_small_samples, at, published
from tests.factories.hotline import (
    CategoryFactory,
    CityFactory,
    DistrictFactory,
    MembershipFactory,
    NotificationFactory,
    SmsMessageFactory,
    StreetFactory,
    UnitFactory,
    UserFactory,
)
from tests.factories.intake import CallerFactory, KnowledgeArticleFactory, TicketFactory
from tests.factories.open311 import hotline_center

__all__ = [
    "AssignmentFactory",
    "AttachmentFactory",
    "CallbackFactory",
    "CallerFactory",
    "CategoryFactory",
    "City",
    "CityFactory",
    "DistrictFactory",
    "KnowledgeArticleFactory",
    "LeadAssignmentFactory",
    "MembershipFactory",
    "NotificationFactory",
    "Plan",
    "ProgressNoteFactory",
    "RoutingRuleFactory",
    "SmsMessageFactory",
    "StreetFactory",
    "TicketFactory",
    "Tree",
    "UnitFactory",
    "UserFactory",
    "allow_small_samples",
    "assign_many",
    "at",
    "generate",
    "hotline_center",
    "local",
    "make_city",
    "make_tree",
    "month_start",
    "plan_ticket",
    "published",
    "save_plans",
    "series",
    "sum_district_months",
]
