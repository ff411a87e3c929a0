"""The two GeoReport v2 formats, chosen by the URL's .json / .xml suffix."""

import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

# The element name of one item of a list, by the list's element name (the spec's XML).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _append(parent: Element, tag: str, value: Any) -> None:
    element = SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _append(element, ITEM_TAGS.get(tag, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


class XMLRenderer(BaseRenderer):
    """Writes the view's data under its `xml_root` element; errors under <errors>."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        view = context.get("view")
        if response is not None and response.status_code >= 400:
            root_tag = "errors"
        else:
            root_tag = getattr(view, "xml_root", "response")
        root = Element(root_tag)
        if isinstance(data, list):
            for item in data:
                _append(root, ITEM_TAGS.get(root_tag, "item"), item)
        elif isinstance(data, dict):
            for key, item in data.items():
                _append(root, key, item)
        body = tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{body}'.encode()


class SuffixNegotiation(DefaultContentNegotiation):
    """The format suffix alone picks the renderer (Accept headers cannot turn .xml into 406)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next((r for r in renderers if r.format == format_suffix), renderers[0])
        return renderer, renderer.media_type


RENDERERS = [JSONRenderer, XMLRenderer]
