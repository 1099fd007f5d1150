"""Reading an import file: a size limit before reading, the encoding, the JSON; every problem is an
ImportFileError naming the file."""

import json
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024


class ImportFileError(Exception):
    """A file that cannot be imported. `errors` holds every problem found as "json.path: reason"."""

    def __init__(self, source, errors):
        self.source = str(source)
        self.errors = list(errors)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [f"{self.source}: {error}" for error in self.errors]


def max_file_bytes() -> int:
    # Files are read whole: a larger file is refused before it is read (memory).
    return getattr(settings, "GOSO_IMPORT_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


def read_json_file(path, *, max_bytes: int | None = None):
    """The parsed JSON of a file, or ImportFileError naming what is wrong with it."""
    path = Path(path)
    limit = max_bytes or max_file_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise ImportFileError(path, [_(
                "the file is %(size).1f MB; files up to %(limit).1f MB are accepted "
                "(split it, or raise the GOSO_IMPORT_MAX_FILE_BYTES setting)"
            ) % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024}])
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, [_("cannot read the file: %(reason)s") % {"reason": error.strerror or error}]) from error
    return parse_json_bytes(raw, source=path)


def parse_json_bytes(raw: bytes, *, source):
    """The parsed JSON of a file's bytes (or a download's), or ImportFileError naming `source`."""
    # UTF-8 with or without the BOM Windows tools write, UTF-16/32 by BOM or by NUL bytes: the
    # standard library's own detection (what json.loads does with bytes).
    path = source
    encoding = json.detect_encoding(raw)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise ImportFileError(path, [_(
            "the file is not valid %(encoding)s text (byte 0x%(byte)02x at offset %(offset)s); save it as UTF-8"
        ) % {"encoding": encoding.upper(), "byte": raw[error.start], "offset": error.start}]) from error
    if not text.strip():
        raise ImportFileError(path, [_("the file is empty")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(path, [_("invalid JSON at line %(line)s, column %(column)s: %(reason)s") % {
            "line": error.lineno, "column": error.colno, "reason": error.msg,
        }]) from error


