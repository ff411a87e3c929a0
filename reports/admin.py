from django.contrib import admin
from django.http import HttpRequest

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Stored reports are immutable: read-only here; the command generates a new version."""

    list_display = ("kind", "period_start", "period_end", "version", "trigger", "generated_at", "pdf_unavailable")
    list_filter = ("kind", "trigger")
    exclude = ("content",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False
