"""Demo API clients: a REST API token and an Open311 api_key, printed beside the demo logins."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from hotline import services as hotline_services
from hotline.models import Role, Unit, UnitKind, User
from open311 import services
from open311.models import Open311Client

DEMO_CLIENT = "演示 Open311 客户端"


@transaction.atomic
def load(*, password: str) -> list[str]:
    """Idempotent: the same user, token and client on every run; the key follows the password."""
    center = Unit.objects.get(kind=UnitKind.HOTLINE_CENTER)
    user, _created = User.objects.get_or_create(username="api_client", defaults={"full_name": "接口客户端"})
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    hotline_services.grant_role(user=user, unit=center, role=Role.API_CLIENT)
    token, _created = Token.objects.get_or_create(user=user)
    key = services.demo_key(password=password)
    client = Open311Client.objects.filter(name=DEMO_CLIENT).first()
    if client is None:
        services.create_client(name=DEMO_CLIENT, key=key)
    else:
        services.rotate_key(client_id=client.pk, key=key)
    return [
        f"{'api_client':<14} REST API token: {token.key}  (header “Authorization: Token …”)",
        f"{'open311':<14} Open311 api_key: {key}  (/open311/v2/discovery.json)",
    ]
