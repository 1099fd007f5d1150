"""Kazakh for third-party strings: every msgid of Django admin (django.po, djangojs.po), of the auth strings the
admin shows and of django-import-export has a Kazakh translation (locale_vendor/), Django's typos are gone, and
the Kazakh admin pages show no Russian fallbacks."""

import ast
import re
from pathlib import Path

import django
import import_export
import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation
from django.views.i18n import JavaScriptCatalog
from django.utils.translation.trans_real import DjangoTranslation

DJANGO = Path(django.__file__).parent
VENDOR = Path(settings.BASE_DIR) / "locale_vendor" / "kk" / "LC_MESSAGES"
# Every current msgid: the English catalogues list them all; import_export ships no English one, Russian is complete.
SOURCES = {
    "django": [
        DJANGO / "contrib/admin/locale/en/LC_MESSAGES/django.po",
        DJANGO / "contrib/admin/locale/kk/LC_MESSAGES/django.po",
        DJANGO / "contrib/auth/locale/en/LC_MESSAGES/django.po",
        Path(import_export.__file__).parent / "locale/ru/LC_MESSAGES/django.po",
    ],
    "djangojs": [
        DJANGO / "contrib/admin/locale/en/LC_MESSAGES/djangojs.po",
        DJANGO / "contrib/admin/locale/kk/LC_MESSAGES/djangojs.po",
    ],
}


def parse_po(path):
    """(msgctxt, msgid, msgid_plural, msgstrs) of each live entry, header left out."""
    entries, current, key = [], None, None
    for line in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if line.startswith("#~"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if match:
            key = match.group(1)
            if key in ("msgctxt", "msgid") and current and "msgstr" in "".join(current):
                entries.append(current)
                current = None
            current = current or {}
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and current is not None and key:
            current[key] += ast.literal_eval(line)
    if current:
        entries.append(current)
    return [
        (e.get("msgctxt"), e["msgid"], e.get("msgid_plural"), [v for k, v in e.items() if k.startswith("msgstr")])
        for e in entries if e.get("msgid")
    ]


def kk_catalog(domain):
    return DjangoTranslation("kk", domain=domain)._catalog


def lookup(catalog, ctx, msgid, plural):
    key = f"{ctx}\x04{msgid}" if ctx else msgid
    if plural:
        return [catalog.get((key, 0)), catalog.get((key, 1))]
    # An old catalogue's singular msgid that Django now uses with a plural ("Please correct the error below.").
    return [catalog.get(key) or catalog.get((key, 0))]


@pytest.mark.parametrize("domain", sorted(SOURCES))
def test_every_library_msgid_has_a_kazakh_translation(domain):
    catalog = kk_catalog(domain)
    msgids = {(ctx, msgid, plural) for path in SOURCES[domain] for ctx, msgid, plural, _ in parse_po(path)}
    assert len(msgids) > (250 if domain == "django" else 60)

    missing = [msgid for ctx, msgid, plural in sorted(msgids, key=str) if not all(lookup(catalog, ctx, msgid, plural))]

    assert missing == []


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_vendor_catalogue_is_complete_and_keeps_placeholders(domain):
    entries = parse_po(VENDOR / f"{domain}.po")
    assert (VENDOR / f"{domain}.mo").stat().st_mtime >= 0

    for ctx, msgid, plural, msgstrs in entries:
        assert msgstrs and all(msgstrs), msgid
        for msgstr in msgstrs:
            for pattern in (r"%\(\w+\)[sdr]", r"\{\w*\}"):
                expected = sorted(re.findall(pattern, msgid + (plural or "")))
                found = sorted(re.findall(pattern, msgstr))
                assert set(found) == set(expected), (msgid, msgstr)
            assert msgstr.count("%s") == msgid.count("%s") or plural, (msgid, msgstr)


def test_django_typos_are_gone():
    with translation.override("kk"):
        assert translation.gettext("Change history: %s") == "Өзгерістер тарихы: %s"
        assert translation.gettext("Select %s to change") == "Өзгерту үшін таңдаңыз: %s"
    for domain in ("django", "djangojs"):
        text = "\n".join(str(catalog[k]) for catalog in [kk_catalog(domain)] for k in set(catalog.keys()))
        assert "Өзгерес" not in text and "үщін" not in text


def test_import_export_and_date_picker_strings_are_kazakh():
    with translation.override("kk"):
        assert translation.gettext("Import") == "Импорт"
        assert translation.gettext("Format") == "Пішім"
        assert translation.gettext("Confirm import") == "Импортты растау"
        assert translation.gettext("Show counts") == "Санды көрсету"
    js = DjangoTranslation("kk", domain="djangojs")
    assert js.gettext("Today") == "Бүгін"
    assert js.gettext("Now") == "Қазір"
    assert js.gettext("Choose a Time") == "Уақытты таңдаңыз"
    assert js.gettext("January") == "Қаңтар"
    assert js.pgettext("one letter Monday", "M") == "Д"


def test_javascript_catalog_in_kazakh_has_the_month_names():
    with translation.override("kk"):
        response = JavaScriptCatalog.as_view(packages=["django.contrib.admin"])(RequestFactory().get("/jsi18n/"))
    body = response.content.decode()
    assert "\\u049a\\u0430\\u04a3\\u0442\\u0430\\u0440" in body or "Қаңтар" in body


RUSSIAN_FALLBACKS = ["Показать счётчики", "Сбросить все фильтры", "Последние действия", "Мои действия",
                     "Добро пожаловать", "Изменить пароль", "Выйти", "Сохранить"]


@pytest.mark.parametrize("url", ["/kk/admin/", "/kk/admin/curriculum/learningoutcome/"])
def test_kazakh_admin_pages_show_no_russian_fallbacks(url, client, methodologist, outcome):
    client.force_login(methodologist)

    page = client.get(url).content.decode()

    for russian in RUSSIAN_FALLBACKS:
        assert russian not in page
    assert ("Соңғы әрекеттер" in page) if url == "/kk/admin/" else ("Санды" in page or "Сүзгі" in page)


def test_admin_javascript_catalog_at_the_kazakh_address_is_kazakh(client, methodologist):
    client.force_login(methodologist)

    body = client.get("/kk/admin/jsi18n/").content.decode()

    for kazakh in ("Бүгін", "Қазір", "Түн жарымы", "Уақытты таңдаңыз", "Қаңтар", "Дүйсенбі"):
        assert kazakh.encode("unicode_escape").decode().lower() in body.lower() or kazakh in body
    for russian in ("Сегодня", "Сейчас", "Полночь", "Январь", "Понедельник"):
        assert russian.encode("unicode_escape").decode().lower() not in body.lower() and russian not in body
