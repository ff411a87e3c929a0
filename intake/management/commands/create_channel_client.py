"""Create the inbound channel of an external platform and print its client's REST token, once.

  create_channel_client --channel gov_supervision [--name 国办互联网+督查平台] [--code CODE]
  create_channel_client --channel gov_supervision --rotate     a new token; the old one stops working

The platform posts its requests with the header "Authorization: Token <token>" to
POST /api/v1/tickets/, each with its external_id; the ticket's channel is the platform's.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.errors import DomainError
from intake import services
from intake.models import CLIENT_CHANNELS


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, choices=sorted(CLIENT_CHANNELS), help="the platform's channel")
        parser.add_argument("--name", default="", help="the platform's name (default: its usual name)")
        parser.add_argument("--code", default="", help="the platform's code (default: the channel)")
        parser.add_argument("--rotate", action="store_true", help="give the existing client a new token")

    def handle(self, *args, channel: str, name: str, code: str, rotate: bool, **options) -> None:
        try:
            made = services.create_channel_client(channel=channel, name=name, code=code, rotate=rotate)
        except DomainError as error:
            raise CommandError(error.message) from error
        platform = made.platform
        self.stderr.write(f"{platform.name} ({platform.code}, channel {platform.channel}): token shown once")
        self.stdout.write(made.token)
