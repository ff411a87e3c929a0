"""Demo data of analytics: the rollups of the demo tickets, so the dashboards show them at once
(the periodic refresh would otherwise fill them within ANALYTICS_REFRESH_INTERVAL_SECONDS)."""

from analytics import services


def load(*, password: str) -> list[str]:
    days = services.rebuild_rollups()
    return [f"Analytics: rollups rebuilt for {days} day(s)."]
