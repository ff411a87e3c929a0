"""Seed the default reply SMS templates (双反馈), one per reply outcome, in Chinese."""

from django.db import migrations

DEFAULTS = {
    "resolved": "您反映的问题（工单{number}）已办结：{summary} 查询办理情况：{link}",
    "partly_resolved": "您反映的问题（工单{number}）已部分解决：{summary} 查询办理情况：{link}",
    "unresolved": "您反映的问题（工单{number}）暂无法解决：{summary} 查询办理情况：{link}",
}


def seed(apps, schema_editor) -> None:
    FeedbackTemplate = apps.get_model("dispatch", "FeedbackTemplate")
    for outcome, text in DEFAULTS.items():
        FeedbackTemplate.objects.get_or_create(outcome=outcome, defaults={"text": text})


def unseed(apps, schema_editor) -> None:
    apps.get_model("dispatch", "FeedbackTemplate").objects.filter(outcome__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0010_feedback_template")]

    operations = [migrations.RunPython(seed, unseed)]
