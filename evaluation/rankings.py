"""Writes for the monthly rankings: drafts computed, reviewed and published."""

from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation import rates as rates_module
from evaluation.lines import build_lines
from evaluation.models import MonthlyRanking, RankingAudit, UnitResult
from evaluation.rates import parameters_for
from evaluation.scoring import Counts
from hotline.errors import DomainError
from hotline.models import NotificationKind, UnitKind, User
from hotline.months import previous_month
from hotline.notifications import notify_roles
from hotline.roles import OVERSIGHT_ROLES


def compute_month(*, month: date, unit_kind: str, actor: User | None = None, reason: str = "") -> MonthlyRanking:
    """Compute the draft ranking of one unit kind for one month (see compute_rankings)."""
    (ranking,) = compute_rankings(month=month, unit_kinds=[unit_kind], actor=actor, reason=reason)
    return ranking


def compute_rankings(
    *,
    month: date,
    unit_kinds: Iterable[str],
    actor: User | None = None,
    reason: str = "",
    skip_published: bool = False,
    keep_drafts: bool = False,
) -> list[MonthlyRanking]:
    """Compute draft rankings of the given unit kinds for one month, for evaluation admins to
    review before publishing; returns the drafts computed.

    A kind with a draft has its draft computed again (unless `keep_drafts`). A kind already
    published gets a new draft version, which needs a reason (it will replace what units have
    seen); with `skip_published` a published kind is left alone.
    """
    month = month.replace(day=1)
    unit_kinds = list(unit_kinds)
    # The month's current (published) versions and drafts, by kind, in one query.
    states = list(
        MonthlyRanking.objects.filter(month=month, unit_kind__in=unit_kinds)
        .filter(Q(is_current=True) | Q(published_at__isnull=True))
        .values_list("unit_kind", "is_current")
    )
    published = {kind for kind, is_current in states if is_current}
    drafts = {kind for kind, is_current in states if not is_current}
    if keep_drafts:
        unit_kinds = [kind for kind in unit_kinds if kind not in drafts]
    if skip_published:
        unit_kinds = [kind for kind in unit_kinds if kind not in published or kind in drafts]
    elif (published - drafts) & set(unit_kinds) and not reason.strip():
        raise DomainError(
            "invalid",
            _("This month is published: give a reason for computing it again."),
            status=400,
            fields={"reason": [_("Required.")]},
        )
    if not unit_kinds:
        return []
    per_unit, places = rates_module.unit_counts(month=month), rates_module.unit_places()
    return [
        _compute_draft(
            month=month,
            unit_kind=unit_kind,
            ranked=rates_module.ranked_counts(per_unit=per_unit, unit_kind=unit_kind, places=places),
            actor=actor,
            reason=reason.strip(),
        )
        for unit_kind in unit_kinds
    ]


def _compute_draft(
    *, month: date, unit_kind: str, ranked: dict[int, Counts], actor: User | None, reason: str
) -> MonthlyRanking:
    parameters = parameters_for(unit_kind=unit_kind, month=month)
    try:
        with transaction.atomic():
            draft = (
                MonthlyRanking.objects.select_for_update()
                .filter(month=month, unit_kind=unit_kind, published_at__isnull=True)
                .first()
            )
            if draft is not None:
                draft.results.all().delete()
                draft.scheme, draft.computed_by, draft.computed_at = parameters.as_json(), actor, timezone.now()
                draft.reason = reason or draft.reason
                draft.save(update_fields=["scheme", "computed_by", "computed_at", "reason"])
            else:
                last = MonthlyRanking.objects.filter(month=month, unit_kind=unit_kind).order_by("-version").first()
                draft = MonthlyRanking.objects.create(
                    month=month,
                    unit_kind=unit_kind,
                    version=last.version + 1 if last else 1,
                    is_current=False,
                    scheme=parameters.as_json(),
                    computed_by=actor,
                    reason=reason if last else "",
                )
            UnitResult.objects.bulk_create(
                build_lines(
                    ranking=draft,
                    month=month,
                    unit_kind=unit_kind,
                    parameters=parameters,
                    ranked=ranked,
                    listed=rates_module.listed_units(unit_kind=unit_kind),
                )
            )
            RankingAudit.objects.create(ranking=draft, action="computed", actor=actor, reason=reason)
    except IntegrityError:
        # Another worker created the same draft first: theirs is the draft.
        return MonthlyRanking.objects.get(month=month, unit_kind=unit_kind, published_at__isnull=True)
    return draft


def publish_ranking(*, ranking_id: int, actor: User | None) -> MonthlyRanking:
    """Freeze a draft and make it the month's current ranking (the previous version, if any, is
    kept as superseded). An empty draft cannot be published."""
    with transaction.atomic():
        draft = MonthlyRanking.objects.select_for_update().filter(pk=ranking_id).first()
        if draft is None:
            raise DomainError("not_found", _("No such ranking."), status=404)
        if not draft.is_draft:
            raise DomainError("already_published", _("This ranking is already published."), status=409)
        if not draft.results.filter(Q(required_response__gt=0) | Q(callbacks_answered__gt=0)).exists():
            raise DomainError(
                "empty_ranking", _("Nothing was counted in this month: there is nothing to publish."), status=409
            )
        MonthlyRanking.objects.select_for_update().filter(
            month=draft.month, unit_kind=draft.unit_kind, is_current=True
        ).update(is_current=False)
        draft.published_at, draft.published_by, draft.is_current = timezone.now(), actor, True
        draft.save(update_fields=["published_at", "published_by", "is_current"])
        RankingAudit.objects.create(ranking=draft, action="published", actor=actor, reason=draft.reason)
        from webhooks.services import record_ranking_published  # webhooks depends on evaluation's callers

        record_ranking_published(ranking=draft)
    return draft


def publish_month(*, month: date, unit_kinds: Iterable[str], actor: User | None) -> list[MonthlyRanking]:
    """Publish the month's drafts of the given kinds (kinds without a draft are skipped)."""
    drafts = MonthlyRanking.objects.filter(month=month.replace(day=1), unit_kind__in=list(unit_kinds)).filter(
        published_at__isnull=True
    )
    return [publish_ranking(ranking_id=pk, actor=actor) for pk in drafts.values_list("pk", flat=True)]


def _notify_drafts(*, month: date) -> int:
    return notify_roles(
        roles=OVERSIGHT_ROLES,
        kind=NotificationKind.RANKING_DRAFT,
        title=_("The %(month)s rankings are ready for review") % {"month": f"{month:%Y-%m}"},
        body=_("Check the drafts and publish them; units see a ranking once it is published."),
        link=f"{reverse('evaluation:ranking')}?month={month:%Y-%m}",
        key=f"ranking-draft:{month:%Y-%m}",
    )


RANKED_KINDS = (
    UnitKind.STREET,
    UnitKind.DISTRICT,
    UnitKind.CITY_DEPARTMENT,
    UnitKind.DISTRICT_DEPARTMENT,
    UnitKind.STATE_ENTERPRISE,
    UnitKind.PLATFORM_COMPANY,
)


def compute_previous_month(*, today: date | None = None) -> list[MonthlyRanking]:
    """The monthly task: drafts of last month (Asia/Shanghai) for every ranked unit kind not yet
    computed; evaluation admins are told to review and publish them. Running twice does nothing."""
    month = previous_month((today or timezone.localdate()).replace(day=1))
    drafts = compute_rankings(month=month, unit_kinds=RANKED_KINDS, skip_published=True, keep_drafts=True)
    if drafts:
        transaction.on_commit(lambda: _notify_drafts(month=month))
    return drafts
