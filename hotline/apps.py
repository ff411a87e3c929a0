from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("Hotline core")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from hotline.middleware import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="hotline.stamp_login")
