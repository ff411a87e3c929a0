from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from hotline import reference
from hotline.models import (
    Category,
    Community,
    Heartbeat,
    Holiday,
    Membership,
    Notification,
    SmsMessage,
    Unit,
    UnitKind,
    User,
)
from hotline.privacy import mask_phone


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Hotline"), {"fields": ["full_name", "mobile"]}))
    list_display = ["username", "full_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "full_name", "email"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        reference.changed()  # the memberships inline


class ReferenceAdmin(admin.ModelAdmin):
    """Units, categories and memberships are kept by every process (hotline.reference): each
    edit tells them."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        reference.changed()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        reference.changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        reference.changed()


@admin.register(Unit)
class UnitAdmin(ReferenceAdmin):
    list_display = ["name", "name_en", "kind", "division_type", "code", "parent", "population", "zone", "is_active"]
    list_filter = ["kind", "division_type", "zone", "is_active"]
    search_fields = ["name", "name_en", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


class DistrictFilter(admin.SimpleListFilter):
    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin) -> list[tuple[int, str]]:
        return [(unit.pk, unit.label) for unit in Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code")]

    def queryset(self, request, queryset):
        return queryset.filter(street__parent=self.value()) if self.value() else queryset


@admin.register(Community)
class CommunityAdmin(ReferenceAdmin):
    """The gazetteer's committees: the address resolver reads them (hotline.places)."""

    list_display = ["name", "code", "street", "district", "is_active"]
    list_filter = [DistrictFilter, "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["street"]
    list_select_related = ["street__parent"]

    @admin.display(description=_("district"), ordering="street__parent__name")
    def district(self, obj: Community) -> Unit:
        return obj.street.parent


@admin.register(Membership)
class MembershipAdmin(ReferenceAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(Category)
class CategoryAdmin(ReferenceAdmin):
    list_display = ["code", "name", "name_en", "level", "parent", "default_tier", "is_functional", "is_active"]
    list_filter = ["level", "default_tier", "is_functional", "is_active"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["created_at", "worker"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """The holiday calendar for working-day deadlines: enter each year's official arrangement."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title", "key"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    """Delivery log; the phone number is shown masked, like in the logs."""

    list_display = ["created_at", "masked_phone", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["key", "provider_id"]
    fields = ["masked_phone", "text", "key", "status", "attempts", "provider_id", "last_error", "next_attempt_at"]
    readonly_fields = fields
    date_hierarchy = "created_at"

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: SmsMessage) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
