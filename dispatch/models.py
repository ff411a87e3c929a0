"""Assignments of tickets to handling units (派单)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.models import Unit
from intake.models import Ticket


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    ASSIST = "assist", _("Assisting unit")


class Assignment(models.Model):
    """One unit's part in one ticket: the lead (主办) or an assisting unit (协办)."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    created_at = models.DateTimeField(_("dispatched at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.unit_id} ({self.role})"
