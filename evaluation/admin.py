"""Admin for evaluation. Schemes (weights, class rules, minimum sample) and bonus/penalty points
are managed here; rankings, their results and audit trail, appeals and callbacks are records of what the
services did, so they are read-only (a callback's comment may be corrected)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from evaluation.models import (
    Appeal,
    Callback,
    CallbackAttempt,
    EvaluationScheme,
    MonthlyRanking,
    RankingAudit,
    ScoreAdjustment,
    UnitResult,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "unit_kind",
        "valid_from",
        "valid_until",
        "response_weight",
        "resolution_weight",
        "satisfaction_weight",
    ]
    list_filter = ["unit_kind"]


@admin.register(ScoreAdjustment)
class ScoreAdjustmentAdmin(admin.ModelAdmin):
    list_display = ["unit", "month", "points", "reason", "created_by", "created_at"]
    list_select_related = ["unit", "created_by"]
    list_filter = ["month"]
    search_fields = ["unit__name", "reason"]
    raw_id_fields = ["unit"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: ScoreAdjustment, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class UnitResultInline(ReadOnlyMixin, admin.TabularInline):
    model = UnitResult
    fields = ["rank", "unit", "response_rate", "resolution_rate", "satisfaction_rate", "adjustment", "composite"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[UnitResult]:
        return super().get_queryset(request).select_related("unit")


class RankingAuditInline(ReadOnlyMixin, admin.TabularInline):
    model = RankingAudit
    fields = ["at", "action", "actor", "reason"]
    readonly_fields = fields
    extra = 0


@admin.register(MonthlyRanking)
class MonthlyRankingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "month",
        "unit_kind",
        "version",
        "is_current",
        "computed_at",
        "computed_by",
        "published_at",
        "published_by",
        "reason",
    ]
    list_filter = ["unit_kind", "is_current", "month"]
    list_select_related = ["computed_by", "published_by"]
    inlines = [RankingAuditInline, UnitResultInline]


@admin.register(UnitResult)
class UnitResultAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["ranking", "rank", "unit", "composite", "is_advanced", "is_improved", "is_rectify"]
    list_select_related = ["ranking", "unit"]
    list_filter = ["ranking__unit_kind", "ranking__month", "ranking__is_current"]
    search_fields = ["unit__name"]


@admin.register(RankingAudit)
class RankingAuditAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["ranking", "action", "actor", "reason", "at"]
    list_select_related = ["ranking", "actor"]


class CallbackAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = CallbackAttempt
    fields = ["at", "reached", "by", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    """Results come from the callback service; only the comment may be corrected here."""

    list_display = ["ticket", "unit", "round", "is_primary", "status", "due_at", "attempts", "completed_at"]
    list_select_related = ["ticket", "unit"]
    list_filter = ["status", "is_primary", "answered_online"]
    search_fields = ["=ticket__number"]
    show_full_result_count = False
    readonly_fields = [
        "ticket",
        "caller",
        "unit",
        "is_primary",
        "round",
        "due_at",
        "status",
        "attempts",
        "resolution",
        "satisfaction",
        "unit_at_fault",
        "answered_online",
        "completed_at",
        "completed_by",
        "created_at",
    ]
    fields = [*readonly_fields[:-1], "comment", "created_at"]
    inlines = [CallbackAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Appeals are decided on the review page (services.decide_appeal, logged on the ticket)."""

    list_display = ["ticket", "unit", "kind", "status", "requested_at", "decided_at"]
    list_select_related = ["ticket", "unit"]
    list_filter = ["status", "kind"]
    search_fields = ["=ticket__number"]
