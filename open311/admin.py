from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from open311 import services
from open311.models import Open311Client


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Clients and their keys. A key is shown once, right after it is made; only its digest is kept."""

    list_display = ["name", "masked_key", "is_active", "created_at", "last_used_at", "user"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    list_select_related = ["user"]
    readonly_fields = ["masked_key", "user", "created_at", "last_used_at"]
    actions = ["rotate_keys"]

    @admin.display(description=gettext_lazy("key"))
    def masked_key(self, client: Open311Client) -> str:
        return client.masked_key

    def get_fields(self, request: HttpRequest, obj: Open311Client | None = None) -> list[str]:
        return ["name", "is_active"] if obj is None else ["name", "is_active", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: Open311Client, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, key = services.create_client(name=obj.name, is_active=obj.is_active)
        obj.pk = client.pk
        obj.refresh_from_db()
        self._show_key(request, client, key)

    def has_delete_permission(self, request: HttpRequest, obj: Open311Client | None = None) -> bool:
        # Its tickets name its user as their creator: deactivate a client instead.
        return False

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        for client in queryset:
            self._show_key(request, client, services.rotate_key(client_id=client.pk))

    def _show_key(self, request: HttpRequest, client: Open311Client, key: str) -> None:
        message = _("The api_key of “%(name)s” is %(key)s — copy it now, it is not shown again.")
        self.message_user(request, message % {"name": client.name, "key": key}, messages.WARNING)
