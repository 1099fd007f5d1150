"""History with old -> new values: Django's admin log (django_admin_log, under row-level security:
a school reads and writes only its own staff's entries, tenants/rls.py) with the changed values
stored in each entry's change message, for the admin's forms and the API alike.

A change message is Django's JSON list ({"changed": {"fields": [...]}}, ...); an entry of ours adds
"values": [{"field": <verbose name msgid>, "old": ..., "new": ...}] to its "changed" item. Field
names are stored untranslated and translated when shown; values are shown as stored (content).
"""

import json

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext, override

MAX_VALUE = 300  # characters of a value kept in the log (long texts are cut with "…")
EMPTY = "—"
# Kept by the database or by Django itself: never part of what a user changed.
SKIPPED = {"updated_at", "created_at", "content_updated_at"}


def _text(value) -> str:
    text = str(value)
    return text if len(text) <= MAX_VALUE else f"{text[:MAX_VALUE - 1]}…"


def value_display(field: models.Field, value):
    """A field's value as the log keeps it: a string (booleans stay booleans, shown translated)."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return value
    if field.is_relation and field.many_to_one:
        if not isinstance(value, models.Model):
            value = field.related_model._base_manager.filter(pk=value).first() or value
        return _text(value)
    if field.choices:
        with override(None):
            return _text(dict(field.flatchoices).get(value, value))
    if isinstance(value, (list, dict)):
        return _text(json.dumps(value, ensure_ascii=False))
    return _text(value)


def _model_field(model, name):
    try:
        field = model._meta.get_field(name)
    except Exception:  # a form field that is no model field
        return None
    secret = any(word in name for word in ("password", "token", "secret", "key_hash"))  # never in a log
    return field if field.concrete and name not in SKIPPED and not secret else None


def values_changed(model, pairs) -> list[dict]:
    """[{"field", "old", "new"}] for (name, old, new) triples whose displays differ."""
    changes = []
    for name, old, new in pairs:
        field = _model_field(model, name)
        if field is None:
            continue
        old, new = value_display(field, old), value_display(field, new)
        if old != new:
            with override(None):
                change = {"field": str(field.verbose_name), "old": old, "new": new}
            if field.choices:
                change["translate"] = True  # choice labels are stored untranslated
            changes.append(change)
    return changes


def form_values_changed(form) -> list[dict]:
    """The changed fields of a bound, valid model form: initial -> cleaned value."""
    return values_changed(
        form._meta.model, [(name, form.initial.get(name), form.cleaned_data.get(name)) for name in form.changed_data]
    )


def snapshot(instance: models.Model) -> dict:
    """The values of an object's fields now, to compare with after a change (instance_values_changed)."""
    return {field.name: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def instance_values_changed(instance: models.Model, before: dict) -> list[dict]:
    return values_changed(
        type(instance), [(name, old, getattr(instance, instance._meta.get_field(name).attname)) for name, old in before.items()]
    )


def admin_change_message(message: list, form, formsets) -> list:
    """Django's change message for an admin form, with the old and new values added (model forms only:
    a password form's values are never logged)."""
    instance = getattr(form, "instance", None)
    if instance is None:
        return message
    if not instance._state.adding and form.changed_data:
        for item in message:
            if "changed" in item and "name" not in item["changed"]:
                item["changed"]["values"] = form_values_changed(form)
                break
    inline_changes = [
        form_values_changed(inline)
        for formset in formsets or ()
        for changed_object, _fields in formset.changed_objects
        for inline in formset.forms if inline.instance is changed_object
    ]
    inline_items = [item for item in message if "changed" in item and "name" in item["changed"]]
    for item, values in zip(inline_items, inline_changes):
        item["changed"]["values"] = values
    return message


def history_record(*, user, obj, action: int, values: list | None = None) -> LogEntry:
    """Log a change made outside the admin (the API) the way the admin logs its own."""
    if action == ADDITION:
        message = [{"added": {}}]
    elif action == DELETION:
        message = []  # as the admin logs a deletion: the action says it all
    else:
        message = [{"changed": {"fields": [value["field"] for value in values or ()], "values": values or []}}]
    return LogEntry.objects.create(
        user_id=user.pk, content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk), object_repr=str(obj)[:200], action_flag=action,
        change_message=json.dumps(message, ensure_ascii=False) if message else "",
    )


def history_record_change(*, user, obj, before: dict) -> LogEntry | None:
    """Log what changed since `before` (snapshot()); nothing when nothing changed."""
    values = instance_values_changed(obj, before)
    return history_record(user=user, obj=obj, action=CHANGE, values=values) if values else None


def set_change(*, name: str, before, after) -> list[dict]:
    """A change of a set of things (e.g. a paragraph's outcome codes) as one old -> new value;
    `name` is an untranslated msgid (translated when shown)."""
    old, new = (", ".join(sorted(map(str, items))) or EMPTY for items in (before, after))
    return [] if old == new else [{"field": name, "old": _text(old), "new": _text(new)}]


def entry_values(entry: LogEntry) -> list[dict]:
    """The old -> new values of a log entry, field names translated (for the History page)."""
    try:
        message = json.loads(entry.change_message)
    except (TypeError, ValueError):
        return []
    rows = []
    for item in message if isinstance(message, list) else ():
        changed = item.get("changed") if isinstance(item, dict) else None
        for value in (changed or {}).get("values", ()):
            rows.append({
                "object": changed.get("object"),
                "field": capfirst(gettext(value["field"])),
                "old": _shown(value["old"], value.get("translate")), "new": _shown(value["new"], value.get("translate")),
            })
    return rows


def _shown(value, translate=False) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return gettext(value) if translate and value != EMPTY else str(value)


__all__ = ["ADDITION", "CHANGE", "DELETION", "admin_change_message", "entry_values", "history_record",
           "history_record_change", "set_change", "snapshot"]
