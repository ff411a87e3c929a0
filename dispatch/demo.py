"""Demo dispatch: the shipped catalogue, and the intake demo's waiting tickets sent to the demo
units, some signed and one replied, so that every demo user finds work on the workbench. Idempotent."""

from django.db import transaction
from django.utils import timezone

from dispatch import services
from dispatch.models import Assignment, AssignmentStatus, ReplyOutcome
from hotline.models import Unit, UnitKind, User
from intake.lifecycle import Status
from intake.models import Ticket

# Intake demo tickets (by idempotency key) → (lead unit, unit user, how far it gets).
PLAN = {
    "demo-1": ("新村街道", "xincun", "reply"),
    "demo-4": ("新村街道", "xincun", "dispatch"),
    "demo-2": ("大红门街道", "dahongmen", "sign"),
    "demo-3": ("市水务局", "water", "dispatch"),
}


@transaction.atomic
def load(*, password: str) -> list[str]:
    services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())
    dispatcher = User.objects.get(username="dispatcher")
    units = {
        unit.name: unit
        for unit in Unit.objects.filter(name__in={p[0] for p in PLAN.values()})
        .exclude(kind=UnitKind.DISTRICT_DEPARTMENT)
        .filter(parent__name__in=["北京市", "丰台区"])
    }
    for key, (unit_name, username, step) in PLAN.items():
        ticket = Ticket.objects.filter(idempotency_key=key).first()
        if ticket is None:
            continue
        if ticket.status == Status.AWAITING_DISPATCH and not ticket.assignments.exists():
            services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=units[unit_name].pk, actor=dispatcher)
        officer = User.objects.get(username=username)
        assignment = Assignment.objects.filter(ticket=ticket, ended_at__isnull=True, role="lead").first()
        if assignment is None:
            continue
        if step in ("sign", "reply") and assignment.status == AssignmentStatus.DISPATCHED:
            signed = services.sign(assignment_id=assignment.pk, actor=officer)
            if signed.first_contact_due_at is not None:
                services.record_first_contact(
                    assignment_id=assignment.pk, actor=officer, note="电话联系诉求人，约定次日现场查看。"
                )
            services.add_progress(assignment_id=assignment.pk, actor=officer, text="已安排工作人员到现场核查。")
        if step == "reply" and Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.SIGNED:
            services.reply(
                assignment_id=assignment.pk,
                actor=officer,
                text="经现场核查，工地已停止夜间施工，并承诺22时后不再作业。",
                outcome=ReplyOutcome.RESOLVED,
            )
    return []
