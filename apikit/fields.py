"""Ids in API bodies are whole numbers: `"outcome": 1.5` is a 400, never outcome 1.

DRF's PrimaryKeyRelatedField hands 1.5 to the ORM, which truncates it to 1, and its IntegerField
takes 1.0. Every id the API reads goes through these fields; ModelSerializer is the base of the
apps' serializers so that their foreign keys do too.
"""

import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MAX_ID = 2**63 - 1  # bigint


def id_from(value):
    """`value` as an id (a JSON integer, or digits in a form or query string), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return id_from(int(value))
    return None


class IdField(serializers.IntegerField):
    default_error_messages = {"invalid": _("An id is a whole number, 1 or more (got “%(value)s”).")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if (value := id_from(data)) is None:
            raise serializers.ValidationError(self.error_messages["invalid"] % {"value": data}, code="invalid")
        return value


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {"incorrect_type": IdField.default_error_messages["invalid"]}

    def to_internal_value(self, data):
        if id_from(data) is None:
            raise serializers.ValidationError(self.error_messages["incorrect_type"] % {"value": data}, code="incorrect_type")
        return super().to_internal_value(id_from(data))


class ModelSerializer(serializers.ModelSerializer):
    serializer_related_field = IdRelatedField

    def get_fields(self):
        """DRF rebuilds a model serializer's fields from the model on every instantiation (about a tenth of a
        read's Python time); they depend on the class alone, so they are built once per class and copied,
        the way DRF itself copies declared fields."""
        prototypes = _FIELD_PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _FIELD_PROTOTYPES.setdefault(type(self), super().get_fields())
        return copy.deepcopy(prototypes)


_FIELD_PROTOTYPES: dict[type, dict] = {}
