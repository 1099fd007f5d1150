"""Which language's text of a bilingual row the interface shows: the one place that decides.

Content is stored per language in `<field>_ru` and `<field>_kz` columns (and `<field>_en` where a model has one).
The interface language chooses: Kazakh -> the `_kz` text, Russian -> `_ru`, English -> `_en` if the model has it.
A missing text falls back to the other language (Russian first) and is marked, so a reader knows the
translation is missing rather than that the page ignores their language. Used by models' __str__ (choosers,
titles), admin columns, templates (curriculum/templatetags/languages.py) and API serializers.

Top level, like database_errors.py: curriculum, textbooks and tenants all use it (tenants may not import the
domain); curriculum/languages.py re-exports it.
"""

from typing import NamedTuple

from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext

# Interface language -> the column suffixes to try, in order.
COLUMN_ORDER = {"kk": ("kz", "ru"), "ru": ("ru", "kz"), "en": ("en", "ru", "kz")}
SUFFIX_LANGUAGE = {"ru": "ru", "kz": "kk", "en": "en"}


class LocalText(NamedTuple):
    text: str
    language: str  # the language of `text` (ru, kk, en)
    fallback: bool  # the interface language has no text: `text` is another language's


def text_in_language(obj, field: str, *, language: str | None = None) -> LocalText:
    """The text of `obj.<field>_<suffix>` to show in `language` (default: the active language)."""
    language = (language or translation.get_language() or "ru").split("-")[0]
    order = COLUMN_ORDER.get(language, COLUMN_ORDER["ru"])
    first = order[0]
    for suffix in order:
        text = getattr(obj, f"{field}_{suffix}", None)
        if text:
            return LocalText(text, SUFFIX_LANGUAGE[suffix], fallback=suffix != first)
    return LocalText("", language, fallback=False)


def fallback_marker(local: LocalText) -> tuple[str, str]:
    """(marker, explanation) for a text shown in another language: "[орысша]", "No Kazakh text"."""
    marker = {"ru": gettext("[in Russian]"), "kk": gettext("[in Kazakh]")}.get(local.language, f"[{local.language}]")
    missing = {"kk": gettext("No Kazakh text"), "ru": gettext("No Russian text"), "en": gettext("No English text")}
    return marker, missing.get((translation.get_language() or "ru").split("-")[0], "")


def text_label(obj, field: str, *, language: str | None = None) -> str:
    """Plain text for __str__ and choosers: the text, with the marker where it is another language's."""
    local = text_in_language(obj, field, language=language)
    return f"{local.text} {fallback_marker(local)[0]}" if local.fallback else local.text


def text_html(obj, field: str, *, language: str | None = None, limit: int | None = None):
    """HTML for lists and pages: the text (cut to `limit` characters, whole text in its title), in its own
    `lang`, with a visible marker whose title says which translation is missing."""
    local = text_in_language(obj, field, language=language)
    text = local.text if limit is None or len(local.text) <= limit else f"{local.text[:limit - 1]}…"
    cut = text != local.text
    if not local.fallback:
        return format_html('<span title="{}">{}</span>', local.text, text) if cut else text
    marker, missing = fallback_marker(local)
    return format_html(
        '<span lang="{}"{}>{}</span> <small class="goso-fallback" title="{}">{}</small>',
        local.language, format_html(' title="{}"', local.text) if cut else "", text, missing, marker,
    )
