"""Demo rankings: every finished month of the history computed and published, as the evaluation
admin would have done each month, so that the ranking pages, trends and drill-downs have a year.

The demo's year is about 1/300 of Beijing's volume (a street gets one or two dispatched tickets a
month, not hundreds), so its schemes scale the minimum samples down with it; otherwise nearly every
street would be 样本不足. The weights and class rules are the defaults."""

from decimal import Decimal

from django.utils import timezone

from evaluation import rankings as ranking_services
from evaluation.models import EvaluationScheme, MonthlyRanking
from hotline.errors import DomainError
from hotline.models import User
from hotline.months import add_months
from intake.models import Ticket

DEMO_SCHEME = {
    "response_weight": 10,
    "resolution_weight": 45,
    "satisfaction_weight": 45,
    "basically_satisfied_factor": Decimal("0.8"),
    "partly_resolved_factor": Decimal("0"),
    "minimum_responses": 2,
    "minimum_callbacks": 2,
    "governance_minimum": 10,
}


def load(*, password: str) -> list[str]:
    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return []
    admin = User.objects.get(username="admin")
    month = timezone.localtime(first).date().replace(day=1)
    for unit_kind in ranking_services.RANKED_KINDS:
        EvaluationScheme.objects.get_or_create(
            unit_kind=unit_kind,
            valid_from=month,
            defaults={"name": "演示方案（样本门槛按演示规模调低）", **DEMO_SCHEME},
        )
    published = set(MonthlyRanking.objects.filter(is_current=True).values_list("month", flat=True))
    this_month = timezone.localdate().replace(day=1)
    months = 0
    while month < this_month:
        if month not in published:
            drafts = ranking_services.compute_rankings(
                month=month, unit_kinds=ranking_services.RANKED_KINDS, skip_published=True
            )
            for draft in drafts:
                try:
                    ranking_services.publish_ranking(ranking_id=draft.pk, actor=admin)
                except DomainError as error:
                    if error.code != "empty_ranking":  # a kind nobody handled that month stays a draft
                        raise
            months += 1
        month = add_months(month, 1)
    return [f"Rankings: {months} month(s) computed and published."] if months else []
