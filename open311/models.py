"""Open311 client systems and their API keys."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Open311Client(models.Model):
    """A system allowed to create service requests through the Open311 endpoint.

    Only a SHA-256 digest of the key is stored (the admin shows the key once, when it is
    made): a leaked database does not leak working keys. The linked user, an API client of
    the hotline centre, is the actor of the tickets the client creates, for the audit trail.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_digest = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        _("key"), max_length=8, editable=False, help_text=_("first characters, to tell keys apart")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user for the audit trail"),
        on_delete=models.PROTECT,
        related_name="open311_client",
        editable=False,
    )
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(key_digest__regex=r"^[0-9a-f]{64}$"), name="open311_key_digest"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_key(self) -> str:
        return f"{self.key_prefix}…"
