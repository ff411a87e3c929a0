"""Admin for intake. Status changes and the audit trail are never edited here: they go
through intake.services.transition, so the admin shows them read-only."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake import services
from intake.models import (
    Caller,
    CategoryModel,
    ExternalPlatform,
    KnowledgeArticle,
    PersonalDataAccess,
    ProactiveImport,
    SmsPreferenceChange,
    Ticket,
    TicketEvent,
)
from intake.phones import mask_name, mask_phone


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CallerRecordAdmin(ReadOnlyAdmin):
    """The records of who read or changed a caller's data: newest first, the caller masked as
    lists show callers, found by ticket number, phone or user."""

    list_select_related = ["user", "caller", "ticket"]
    search_fields = ["=ticket__number", "=caller__phone", "user__username"]
    show_full_result_count = False
    ordering = ["-id"]

    @admin.display(description=_("caller"))
    def masked_caller(self, row: PersonalDataAccess | SmsPreferenceChange) -> str:
        return f"{mask_name(row.caller.name)} {mask_phone(row.caller.phone)}"


class AuditedChangePage(admin.ModelAdmin):
    """A change page shows a caller's phone and name in full: each view of one is recorded
    (PersonalDataAccess, purpose "admin"), as on the hotline's pages. Lists show them masked."""

    def personal_data(self, obj: Model) -> list[tuple[Caller, Ticket | None]]:
        raise NotImplementedError

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:  # shown (a saved form redirects)
            obj = self.get_object(request, unquote(object_id))
            reads = self.personal_data(obj) if obj is not None else []
            if reads:
                services.record_personal_data_accesses(user=request.user, reads=reads, purpose="admin")
        return response


@admin.display(description=_("phone"))
def masked_phone(caller: Caller) -> str:
    return mask_phone(caller.phone)


@admin.display(description=_("name"))
def masked_name(caller: Caller) -> str:
    return mask_name(caller.name)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor", "unit", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(AuditedChangePage):
    list_display = ["number", "status", "kind", "channel", "category", "district", "street", "created_at"]
    list_filter = ["status", "channel", "kind", "urgency", "deadline_tier"]
    list_select_related = ["category", "district", "street"]
    search_fields = ["=number"]
    show_full_result_count = False  # no COUNT(*) over millions of tickets
    date_hierarchy = "created_at"
    ordering = ["-id"]
    raw_id_fields = ["category", "caller", "district", "street", "article", "parent", "created_by"]
    readonly_fields = [
        "number",
        "status",
        "disposition",
        "parent",
        "closed_at",
        "created_by",
        "created_at",
        "updated_at",
        "idempotency_key",
        "external_id",
        "external_url",
    ]
    inlines = [TicketEventInline]

    def personal_data(self, obj: Ticket) -> list[tuple[Caller, Ticket | None]]:
        return [(obj.caller, obj)] if obj.caller_id else []

    # Tickets are created with their event and tracking number by the desk, the public
    # form or the API; deleting would break the audit trail.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Caller)
class CallerAdmin(AuditedChangePage):
    list_display = ["id", masked_name, masked_phone, "is_enterprise", "enterprise_name", "created_at"]
    search_fields = ["=phone", "name", "enterprise_name"]
    list_filter = ["is_enterprise"]
    show_full_result_count = False
    # The SMS switch is the ticket page's, where each switch is recorded (SmsPreferenceChange).
    readonly_fields = ["sms_opt_out", "created_at"]

    def personal_data(self, obj: Caller) -> list[tuple[Caller, Ticket | None]]:
        return [(obj, None)]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "action", "from_status", "to_status", "actor", "unit"]
    list_filter = ["action"]
    list_select_related = ["ticket", "actor", "unit"]
    search_fields = ["=ticket__number"]
    show_full_result_count = False
    ordering = ["-id"]


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "title_en", "is_public", "valid_from", "valid_until", "updated_by", "updated_at"]
    list_filter = ["is_public"]
    list_select_related = ["updated_by"]
    search_fields = ["title", "body", "title_en", "body_en"]
    filter_horizontal = ["categories"]
    readonly_fields = ["updated_by", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: KnowledgeArticle, form: object, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(CallerRecordAdmin):
    list_display = ["created_at", "user", "masked_caller", "ticket", "purpose"]
    list_filter = ["purpose"]


@admin.register(SmsPreferenceChange)
class SmsPreferenceChangeAdmin(CallerRecordAdmin):
    """Who switched a caller's SMS off or on, from which ticket's page (the ticket page's switch)."""

    list_display = ["created_at", "user", "masked_caller", "ticket", "sms_opt_out"]
    list_filter = ["sms_opt_out"]


@admin.register(CategoryModel)
class CategoryModelAdmin(ReadOnlyAdmin):
    """Versions of the category classifier; trained by the weekly task or `manage.py category_model train`."""

    list_display = ["version", "trained_at", "trained_by", "ticket_count", "label_count", "cv_macro_f1", "is_active"]
    list_filter = ["is_active"]
    exclude = ["artefact"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CategoryModel]:
        # The artefact is megabytes per row: never read it to list or show a version.
        return super().get_queryset(request).defer("artefact").select_related("trained_by")


@admin.register(ProactiveImport)
class ProactiveImportAdmin(ReadOnlyAdmin):
    """Imported lists of risk points: a record of what was imported, never edited."""

    list_display = ["file_name", "ticket_count", "created_by", "created_at"]
    date_hierarchy = "created_at"


@admin.register(ExternalPlatform)
class ExternalPlatformAdmin(admin.ModelAdmin):
    """External platforms' inbound channels. Made with `manage.py create_channel_client`, which
    prints the client's token once; here they are renamed, switched off, or given a new token."""

    list_display = ["code", "name", "channel", "is_active", "client", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["client"]
    readonly_fields = ["code", "channel", "client", "created_at"]
    fields = ["name", "is_active", *readonly_fields]
    actions = ["rotate_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Its tickets name its client as their creator: switch a platform off instead.
        return False

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def rotate_tokens(self, request: HttpRequest, queryset: QuerySet[ExternalPlatform]) -> None:
        for platform in queryset:
            made = services.create_channel_client(channel=platform.channel, rotate=True)
            message = gettext("The token of “%(name)s” is %(token)s — copy it now, it is not shown again.")
            self.message_user(request, message % {"name": platform.name, "token": made.token}, messages.WARNING)
