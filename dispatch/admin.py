"""Admin: the dispatch catalogue is editable; handling records are read-only (services write them)."""

from django.contrib import admin
from django.http import HttpRequest

from dispatch.models import Assignment, Attachment, ExtensionRequest, ProgressNote, ReturnRequest, RoutingRule


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by dispatch.services only: changing them here would bypass the ticket's event log."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = [
        "ticket",
        "unit",
        "role",
        "status",
        "dispatched_at",
        "sign_due_at",
        "due_at",
        "returned",
        "ended_at",
    ]
    list_filter = ["role", "status", "returned"]
    search_fields = ["ticket__number", "unit__name"]
    list_select_related = ["ticket", "unit"]
    date_hierarchy = "dispatched_at"


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["name", "size", "content_type", "file"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ProgressNote)
class ProgressNoteAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "author", "created_at"]
    search_fields = ["assignment__ticket__number"]
    list_select_related = ["assignment", "author"]
    inlines = [AttachmentInline]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "reason", "requested_at", "needs_supervisor", "status", "decided_at"]
    list_filter = ["status", "reason", "needs_supervisor"]
    search_fields = ["assignment__ticket__number", "assignment__unit__name"]
    list_select_related = ["assignment"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "extra_days", "requested_at", "status", "granted_due_at"]
    list_filter = ["status"]
    search_fields = ["assignment__ticket__number", "assignment__unit__name"]
    list_select_related = ["assignment"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReadOnlyAdmin):
    """Read here; hotline supervisors change the catalogue on its page or through the API, which
    keep the versions (a rule in effect is ended and replaced, never edited in place)."""

    list_display = ["category", "district", "street", "unit", "valid_from", "valid_until", "created_by"]
    list_filter = ["valid_from"]
    search_fields = ["category__name", "category__code", "unit__name", "street__name"]
    list_select_related = ["category", "district", "street", "unit", "created_by"]
