"""JSON bodies: within the upload limit, and nested no deeper than any request of this API needs.

DRF reads the body as a stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (checked only by
`request.body`) would not apply; and the json module recurses per nesting level, so a body nested
about 1,000 levels deep raised RecursionError: a 500. Both are the caller's mistake: 413 and 400.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from apikit.exceptions import RequestTooLarge

MAX_DEPTH = 32  # the deepest request body (alignments of a paragraph) is 3 levels


def _depth_exceeds(data, limit: int) -> bool:
    """Iterative, so a deep value cannot exhaust the stack here either."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            body = b""
        else:
            body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding), parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply.")) from None
        except ValueError as error:  # UnicodeDecodeError included
            raise ParseError(_("The body is not valid JSON: %(reason)s") % {"reason": error}) from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_("The JSON body is nested too deeply (at most %(limit)d levels).") % {"limit": MAX_DEPTH})
        return data
