"""Every admin page, in each language, as each role, shows only that language (issue 12, item 5).

The walk collects its URLs from the admin site's own URL patterns (every named page of every ModelAdmin and of
the site, with one object per model for the pages that take one), visits them with the test client as a
methodologist, a school administrator and a teacher, in Kazakh, Russian and English, and extracts the visible
text (text nodes, titles, placeholders, button labels; never scripts, styles or form values). Data is allowed
as it is stored, but only in the language asked for: on a Kazakh page, a Russian text whose Kazakh text exists is
a finding, and a Russian text without one must carry the fallback marker. What remains must be of the page's
language:

- kk: no Russian word (a word of a Russian catalogue that no Kazakh catalogue uses, or a Cyrillic word with a
  letter typical of Russian, ы э ъ щ ё, that no Kazakh catalogue knows), no English word;
- ru: no English word;
- en: no Cyrillic at all.
"""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import django
import import_export
import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, reverse

from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context, tenant_context
from tenants.models import School, User
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

pytestmark = pytest.mark.django_db

LANGUAGES = ("kk", "ru", "en")
ROLES = {"methodologist": "testserver", "admin_a": "school-a.localhost", "teacher_a": "school-a.localhost"}
# Pages that are not HTML pages for a person (JSON, JavaScript, downloads, redirects, POST-only actions).
SKIPPED_URL_NAMES = {"autocomplete", "jsi18n", "view_on_site", "logout", "textbooks_textbook_coverage_export"}
SKIPPED_URL_SUFFIXES = ("_export",)

# Language names in their own language (the language switcher), technical names and formats.
NEUTRAL_WORDS = {
    "Русский", "Қазақша", "English", "Казахский", "Kazakh", "Russian",
    "CSV", "XLSX", "JSON", "CASE", "API", "URL", "UTF", "ID", "ISBN", "IMS", "tsv", "xls", "xlsx", "csv", "json",
    "html", "ods", "yaml", "www", "HTTP", "GET", "POST", "sha256",
    "http", "https", "localhost", "testserver", "select2",
    "Tab", "CFPackage", "CFPackages", "CFDocument", "CFItem", "CFItems", "Cambridge", "IB",  # a key, CASE names
}
RUSSIAN_LETTERS = re.compile(r"[ыэъщё]", re.IGNORECASE)
KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+")
LATIN_WORD = re.compile(r"(?<![\w./#%-])[A-Za-z]{3,}(?![\w./@-])")


class VisibleText(HTMLParser):
    """What a person reads: text nodes plus title, placeholder, alt and aria-label attributes and button
    labels; not scripts, styles, templates, textareas or the values of form fields (data)."""

    HIDDEN = {"script", "style", "template", "textarea", "noscript"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.language, self.parts, self.every_part, self._hidden = language, [], [], []
        self._other_language = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.VOID:
            if self._hidden:
                return
        else:
            # An element declared in another language (lang="ru"), e.g. a language's own name in the switcher.
            # <code>: a technical name (a spreadsheet's column names), the same in every language.
            if attributes.get("lang") not in (None, self.language) or tag == "code" or self._other_language:
                self._other_language.append(tag)
            if tag in self.HIDDEN or self._hidden:
                self._hidden.append(tag)
                return
        labels = [attributes.get(name) for name in ("title", "placeholder", "alt", "aria-label")]
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            labels.append(attributes.get("value"))
        self.every_part += filter(None, labels)
        if not self._other_language:
            self.parts += filter(None, labels)

    def handle_endtag(self, tag):
        for stack in (self._hidden, self._other_language):
            if stack and stack[-1] == tag:
                stack.pop()

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.every_part.append(data.strip())
            if not self._other_language:
                self.parts.append(data.strip())


def visible_text(html: str, language: str) -> tuple[list[str], list[str]]:
    """(text in the page's language, all visible text including elements marked as another language)."""
    parser = VisibleText(language)
    parser.feed(html)
    return parser.parts, parser.every_part


def po_words(path: Path) -> set[str]:
    """The words of a catalogue's translations (msgstr and its continuation lines)."""
    words, in_msgstr = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            in_msgstr = True
        elif not line.startswith('"'):
            in_msgstr = False
        if in_msgstr:
            words |= {word.lower() for word in CYRILLIC_WORD.findall(line)}
    return words


@cache
def vocabularies():
    """Words of the Kazakh catalogues (ours, the vendor's, Django's) and of the Russian ones."""
    django_root, import_export_root = Path(django.__file__).parent, Path(import_export.__file__).parent
    base = Path(settings.BASE_DIR)

    def words(language, *roots):
        found = set()
        for root in roots:
            for path in root.glob(f"**/{language}/LC_MESSAGES/*.po"):
                found |= po_words(path)
        return found

    kazakh = words("kk", base / "locale", base / "locale_vendor", django_root / "contrib")
    russian = words("ru", base / "locale", django_root / "contrib", import_export_root)
    return kazakh, russian


def foreign_words(text: str, language: str) -> list[str]:
    kazakh, russian = vocabularies()
    found = []
    if language == "en":
        found += CYRILLIC_WORD.findall(text)
    if language == "kk":
        for word in CYRILLIC_WORD.findall(text):
            lower = word.lower()
            if lower in kazakh or KAZAKH_LETTERS.search(word):
                continue
            if lower in russian or RUSSIAN_LETTERS.search(word):
                found.append(word)
    if language in ("kk", "ru"):
        found += [word for word in LATIN_WORD.findall(text) if word not in NEUTRAL_WORDS]
    return found


def data_texts(language: str):
    """(allowed, forbidden): the fixture's stored texts a page may show in `language`, and those it must not
    (the Russian text of a pair whose Kazakh text exists, on a Kazakh page)."""
    allowed, forbidden = set(), set()
    bilingual = {
        Subject: ["name"], Framework: ["title", "ministry"], Section: ["name", "description"],
        Subsection: ["name", "description"], LearningOutcome: ["title", "description"], School: ["name"],
    }
    with super_admin_context():
        for model, bases in bilingual.items():
            for row in model.objects.all():
                for base in bases:
                    russian, kazakh = getattr(row, f"{base}_ru"), getattr(row, f"{base}_kz")
                    if language == "kk" and kazakh:
                        allowed.add(kazakh)
                        forbidden.add(russian)
                    else:
                        allowed.add(russian or kazakh)
                for field in row._meta.concrete_fields:
                    value = getattr(row, field.attname)
                    if isinstance(value, str) and not re.search(r"_(ru|kz)$", field.name):
                        allowed.add(value)
        for model in (Textbook, Chapter, Paragraph, ParagraphOutcome, User):
            for row in model.objects.all():
                for field in row._meta.concrete_fields:
                    value = getattr(row, field.attname)
                    if isinstance(value, str):
                        allowed.add(value)
                    elif isinstance(value, list):
                        allowed |= {item if isinstance(item, str) else str(item.get("text", "")) for item in value}
    # Codes of one or two characters ("2", "ru") would cut words apart; they cannot be a foreign word anyway.
    allowed = {text for text in allowed if len(text) > 2}
    return sorted(allowed, key=len, reverse=True), sorted(filter(None, forbidden - allowed))


def admin_urls(objects: dict) -> list[str]:
    """Every named admin page without arguments, and those taking an object id with one object of the
    ModelAdmin's model (`objects`: model -> pk)."""
    urls = []
    model_patterns = [(model, model_admin.urls) for model, model_admin in admin.site._registry.items()]
    site_patterns = [pattern for pattern in admin.site.get_urls() if isinstance(pattern, URLPattern)]
    for model, patterns in [(None, site_patterns), *model_patterns]:
        for pattern in patterns:
            if not isinstance(pattern, URLPattern) or not pattern.name or pattern.name in SKIPPED_URL_NAMES:
                continue
            if pattern.name.endswith(SKIPPED_URL_SUFFIXES):
                continue
            arguments = set(pattern.pattern.regex.groupindex)
            if not arguments:
                urls.append(reverse(f"admin:{pattern.name}"))
            elif arguments == {"object_id"} and model in objects:
                urls.append(reverse(f"admin:{pattern.name}", kwargs={"object_id": objects[model]}))
            elif arguments == {"app_label"}:
                urls += [reverse("admin:app_list", kwargs={"app_label": label}) for label in app_labels()]
    return sorted(set(urls))


def app_labels():
    return sorted({model._meta.app_label for model in admin.site._registry})


@pytest.fixture
def walk_data(methodologist, admin_a, teacher_a, school_b, outcome, subsection, global_alignment, alignment_a):
    """The chained fixtures, with Kazakh texts for some (shown in Kazakh) and not for others (shown in Russian
    with the marker)."""
    with super_admin_context():
        Subject.objects.filter(pk=outcome.framework.subject_id).update(name_kz="Қазақстан тарихы")
        Framework.objects.filter(pk=outcome.framework_id).update(title_kz="Қазақстан тарихы бойынша МЖБС (5-9 сыныптар)")
        Section.objects.filter(pk=subsection.section_id).update(name_kz="Мәдениеттің дамуы")
        User.objects.filter(pk=teacher_a.pk).update(first_name="Айгүл", last_name="Серікова")


def objects_for(user):
    """One object per model, as the user sees them (a school's own rows first)."""
    models = [Subject, Framework, Section, Subsection, LearningOutcome, Textbook, Chapter, Paragraph, ParagraphOutcome,
              School, User]
    context = super_admin_context() if user.is_methodologist else tenant_context(school_id=user.school_id)
    with context:
        objects = {}
        for model in models:
            rows = model.objects.all()
            if hasattr(model, "school_id") and not user.is_methodologist:
                rows = rows.filter(school_id=user.school_id)
            elif model is School and not user.is_methodologist:
                rows = rows.filter(pk=user.school_id)
            if (row := rows.order_by("pk").first()) is not None:
                objects[model] = row.pk
    return objects


def findings_on(client, url, *, host, language, allowed, forbidden, pages):
    response = client.get(url, HTTP_HOST=host)
    if response.status_code in (301, 302) or "html" not in response.get("Content-Type", ""):
        return []
    pages.append((url, host, response.status_code))
    findings = []
    in_language, every_part = visible_text(response.content.decode(), language)
    for part in every_part:
        for text in allowed:  # a textbook's title may quote the subject's Russian name
            part = part.replace(text, " ")
        for text in forbidden:
            if text in part:
                findings.append(f"{url}: {language} page shows the Russian text {text!r} (a Kazakh text exists)")
    for part in in_language:
        for text in allowed:
            part = part.replace(text, " ")
        findings += [f"{url} [{language}]: {word!r} in {part[:80]!r}" for word in foreign_words(part, language)]
    return findings


def walk(client, users, languages=LANGUAGES, pages=None):
    findings, pages = [], [] if pages is None else pages
    for language in languages:
        allowed, forbidden = data_texts(language)
        for username, host in users.items():
            user = User.objects.get(username=username)
            client.force_login(user)
            prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
            urls = [f"{prefix}{url}" for url in admin_urls(objects_for(user))]
            # The wrong address: a school's staff at the public host, a methodologist at a school's.
            other_host = "testserver" if host != "testserver" else "school-a.localhost"
            for url in urls:
                findings += findings_on(
                client, url, host=host, language=language, allowed=allowed, forbidden=forbidden, pages=pages
            )
            findings += findings_on(
                client, f"{prefix}/admin/", host=other_host, language=language, allowed=allowed, forbidden=forbidden,
                pages=pages,
            )
    return sorted(set(findings))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_page_speaks_the_interface_language(language, client, walk_data):
    pages = []
    findings = walk(client, ROLES, [language], pages)

    statuses = {status for _url, _host, status in pages}
    assert len(pages) > 100 and 200 in statuses and 403 in statuses  # a real walk: pages, refusals, wrong address
    assert not findings, f"{len(findings)} foreign strings:\n" + "\n".join(findings)


def test_the_walk_visits_every_kind_of_page(walk_data):
    methodologist = User.objects.get(username="methodologist")
    urls = admin_urls(objects_for(methodologist))
    framework = Framework.objects.get()
    textbook = Textbook.objects.filter(school=None).get()

    expected = [
        "/admin/", "/admin/curriculum/", "/admin/textbooks/", "/admin/tenants/", "/admin/password_change/",
        "/admin/curriculum/framework/", "/admin/curriculum/framework/add/", "/admin/textbooks/paragraph/add/",
        f"/admin/curriculum/framework/{framework.pk}/change/", f"/admin/curriculum/framework/{framework.pk}/history/",
        f"/admin/curriculum/framework/{framework.pk}/delete/", f"/admin/curriculum/framework/{framework.pk}/tree/",
        f"/admin/curriculum/framework/{framework.pk}/new-version/", f"/admin/textbooks/textbook/{textbook.pk}/coverage/",
        "/admin/textbooks/textbook/carry-over/", "/admin/curriculum/learningoutcome/import/",
    ]
    assert not [url for url in expected if url not in urls]


def test_content_without_a_kazakh_text_is_marked_on_kazakh_pages(client, walk_data):
    client.force_login(User.objects.get(username="methodologist"))
    outcome = LearningOutcome.objects.get()

    page = client.get("/kk/admin/curriculum/learningoutcome/").content.decode()
    tree = client.get(f"/kk/admin/curriculum/framework/{outcome.framework_id}/tree/").content.decode()

    for html in (page, tree):
        assert f'<span lang="ru">{outcome.title_ru}</span>' in html
        assert '<small class="goso-fallback" title="Қазақша мәтін жоқ">[орысша]</small>' in html
    shown = " ".join(visible_text(tree, "kk")[1])  # the editor keeps both names in data attributes
    assert "Мәдениеттің дамуы" in shown and "Развитие культуры" not in shown  # the section's Kazakh name


def test_the_language_check_finds_foreign_words():
    assert foreign_words("Показать счётчики", "kk")
    assert foreign_words("Key terms", "kk")
    assert foreign_words("Оқулықтар", "en")
    assert not foreign_words("Оқулықтар", "kk")
    assert not foreign_words("Learning outcomes", "en")
    assert foreign_words("update through import_export", "ru")


@pytest.mark.parametrize("language, expected", [("kk", "Мәдениеттің дамуы"), ("ru", "Развитие культуры"), ("en", "Развитие культуры")])
def test_the_api_gives_content_in_the_requested_language_too(language, expected, client, walk_data):
    """The same choice (languages.py) as the admin's, by the client's Accept-Language."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(User.objects.get(username="methodologist"))
    framework = Framework.objects.get()

    structure = api.get(f"/api/v1/frameworks/{framework.pk}/structure/", HTTP_ACCEPT_LANGUAGE=language).json()

    assert structure["sections"][0]["name"] == expected
    assert structure["sections"][0]["subsections"][0]["name"] == "Мировоззрение и религия"  # no Kazakh text
