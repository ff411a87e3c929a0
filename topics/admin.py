from django.contrib import admin

from topics.models import Topic, TopicMeasure, TopicProgress


class MeasureInline(admin.TabularInline):
    model = TopicMeasure
    extra = 0
    autocomplete_fields = ["owner"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "month", "status", "lead_unit"]
    list_filter = ["status", "month"]
    search_fields = ["title", "problem"]
    autocomplete_fields = ["lead_unit", "co_units", "places", "categories"]
    readonly_fields = ["adopted_at", "adopted_by", "linked_at"]
    exclude = ["communities"]
    inlines = [MeasureInline]


@admin.register(TopicProgress)
class TopicProgressAdmin(admin.ModelAdmin):
    list_display = ["topic", "unit", "author", "created_at"]
    list_select_related = ["topic", "unit", "author"]
    readonly_fields = ["topic", "measure", "measure_done", "unit", "author", "text", "created_at"]
