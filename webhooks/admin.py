from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hotline import reference
from hotline.errors import DomainError
from hotline.forms import add_form_errors
from webhooks import services, signing
from webhooks.models import Delivery, DeliveryAttempt, Subscription


class SubscriptionForm(forms.ModelForm):
    """The admin's subscription, checked as the API checks it (URL scheme, event types, filters,
    the owner's permission for caller data)."""

    # Declared, so that the admin keeps it as it builds the form: an address typed without a
    # scheme is read as https.
    url = Subscription._meta.get_field("url").formfield(assume_scheme="https")

    class Meta:
        model = Subscription
        fields = ["owner", *services.SUBSCRIPTION_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        owner = cleaned.get("owner")
        if owner is None or self.errors:  # the fields' own errors first
            return cleaned
        candidate = Subscription(**{name: cleaned[name] for name in services.SUBSCRIPTION_FIELDS if name in cleaned})
        try:
            services.check_subscription(owner=owner, subscription=candidate)
        except DomainError as error:
            add_form_errors(self, error)
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["__str__", "owner", "url", "is_active", "include_caller", "max_in_flight", "created_at"]
    list_filter = ["is_active", "include_caller"]
    search_fields = ["name", "url", "owner__username"]
    raw_id_fields = ["owner"]
    actions = ["rotate_secrets"]

    def save_model(self, request: HttpRequest, obj: Subscription, form, change: bool) -> None:
        if not obj.secret:
            obj.secret = signing.new_secret()
        super().save_model(request, obj, form, change)
        reference.changed()

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        super().delete_model(request, obj)
        reference.changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        super().delete_queryset(request, queryset)
        reference.changed()

    @admin.action(description=_("Rotate the signing secret of the selected subscriptions"))
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            services.rotate_secret(subscription_id=subscription.pk, owner=None)
        self.message_user(request, _("New secrets made: the clients read them through the API (rotate-secret)."))


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "attempted_at", "status_code", "latency_ms", "succeeded", "error"]

    def has_add_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log of every endpoint, with replay."""

    list_display = [
        "event_type",
        "event_id",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "last_latency_ms",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["subscription"]
    search_fields = ["=event_id"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Replay the selected deliveries"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        replayed = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                services.replay(delivery_id=pk, owner=None)
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                replayed += 1
        self.message_user(
            request,
            ngettext("%(count)d delivery replayed.", "%(count)d deliveries replayed.", replayed) % {"count": replayed},
        )
