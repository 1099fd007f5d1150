"""The language of content shown to a user: see languages.py (top level, shared with tenants and textbooks)."""

from languages import LocalText, text_html, text_in_language, text_label

__all__ = ["LocalText", "text_html", "text_in_language", "text_label"]
