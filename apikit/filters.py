import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter would accept 1.5)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.NullBooleanField):
    """true or false (also True/False/1/0); anything else is invalid, not silently ignored."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
