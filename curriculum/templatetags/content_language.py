"""Content in the interface language in templates (languages.py decides):
`{{ outcome|in_language:"title" }}` (HTML, with the fallback marker) and `{{ outcome|label_in_language:"title" }}`
(plain text, e.g. in a title attribute)."""

from django import template

from languages import text_html, text_label

register = template.Library()


@register.filter
def in_language(obj, field):
    return text_html(obj, field)


@register.filter
def label_in_language(obj, field):
    return text_label(obj, field)
