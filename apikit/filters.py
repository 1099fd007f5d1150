import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
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


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the query string names none of the view's filters: building
    and validating a FilterSet's form costs more Python than the rest of a list's plumbing, and a list
    is narrowed several times per request (selectors.SchoolPages narrows each of its ranges)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(name in request.query_params for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)
