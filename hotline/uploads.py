"""Uploaded files: what may be stored (judged by content, not the name the client claims) and
under which name (a random one: the original name is the row's metadata, never a path)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from hotline.errors import DomainError

# First bytes of each allowed file type: the extension alone is what the client claims.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
FILE_SIGNATURES: dict[str, tuple[bytes, str]] = {
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "pdf": (b"%PDF-", "application/pdf"),
    "doc": (_OLE, "application/msword"),
    "xls": (_OLE, "application/vnd.ms-excel"),
    "docx": (_ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (_ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
NAME_MAX_LENGTH = 200


def _invalid(field_name: str, message: str) -> DomainError:
    return DomainError("invalid", _("The input is not valid."), status=400, fields={field_name: [message]})


def check_upload(upload: UploadedFile, *, field_name: str, max_bytes: int) -> tuple[str, str]:
    """(original name, content type) of an allowed upload, judged by its extension and first bytes;
    a DomainError naming `field_name` otherwise."""
    name = PurePath(upload.name or "file").name[-NAME_MAX_LENGTH:]
    extension = _extension(name)
    allowed = [ext.lower() for ext in settings.HOTLINE_ATTACHMENT_TYPES]
    if extension not in allowed or extension not in FILE_SIGNATURES:
        raise _invalid(
            field_name,
            _("“%(name)s”: allowed file types are %(types)s.") % {"name": name, "types": ", ".join(allowed)},
        )
    if upload.size > max_bytes:
        raise _invalid(
            field_name, _("“%(name)s” is larger than %(size)s MB.") % {"name": name, "size": max_bytes // (1024 * 1024)}
        )
    signature, content_type = FILE_SIGNATURES[extension]
    upload.seek(0)
    head = upload.read(len(signature))
    upload.seek(0)
    if head != signature:
        raise _invalid(field_name, _("“%(name)s” is not a valid %(type)s file.") % {"name": name, "type": extension})
    return name, content_type


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@deconstructible
class RandomName:
    """upload_to: `<folder>/YYYY/MM/<uuid4 hex>.<checked extension>`, so that a stored path says
    nothing about the file (callers' names, addresses) and cannot be guessed."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance: object, filename: str) -> str:
        extension = _extension(filename)
        suffix = f".{extension}" if extension in FILE_SIGNATURES else ""
        return f"{self.folder}/{timezone.localtime():%Y/%m}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)
