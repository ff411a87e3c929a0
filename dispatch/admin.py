"""Admin: handling records and the dispatch catalogue are read-only here (services write them);
the reply SMS templates are editable, checked as on their page."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from dispatch import feedback
from dispatch.models import (
    Assignment,
    Attachment,
    ExtensionRequest,
    FeedbackTemplate,
    ProgressNote,
    ReturnRequest,
    RoutingRule,
)
from hotline.errors import DomainError


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


class FeedbackTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = FeedbackTemplate
        fields = ["outcome", "text", "is_active"]

    def clean_text(self) -> str:
        try:
            return feedback.check_template(text=self.cleaned_data["text"])
        except DomainError as error:
            raise ValidationError(error.fields.get("text", [error.message])) from error


@admin.register(FeedbackTemplate)
class FeedbackTemplateAdmin(admin.ModelAdmin):
    """The caller's reply SMS (双反馈), one template per outcome; also on the templates page."""

    form = FeedbackTemplateAdminForm
    list_display = ["outcome", "text", "is_active", "updated_by", "updated_at"]
    list_select_related = ["updated_by"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request: HttpRequest, obj: FeedbackTemplate, form: forms.ModelForm, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deactivate instead: a missing template would silently stop the SMS
