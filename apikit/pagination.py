import re

from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class FirstPagePaginator(Paginator):
    """Django's Paginator, except that a first page shorter than the page size is the whole list: its
    length is the count, so most lists of a paragraph or an outcome (a handful of rows) cost one
    statement, not a COUNT and a page. Any other page counts first, as Django does."""

    def page(self, number):
        if str(number) != "1" or "count" in self.__dict__:
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return self._get_page(rows, 1, self)


class ApiPagination(PageNumberPagination):
    """Pages of 50 rows by default; `page_size` up to 500. A page size or page number that is not
    a whole number in range is refused (DRF would silently use the default instead)."""

    django_paginator_class = FirstPagePaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            message = _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, 1)
        if raw in self.last_page_strings:
            return raw
        if not (str(raw).isascii() and str(raw).isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_query_param: [_("A whole number from 1.")]})
        return raw

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.page_query_param: {"minimum": 1}, self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size}}
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], **bounds.get(parameter["name"], {})}
        return parameters


class KeysetPagination(ApiPagination):
    """ApiPagination whose `next` and `previous` links are keyset cursors: `?cursor=` names a position
    in the list's order (`ordering`: integer columns, the last one unique) and the page is the rows
    after it (or before it, for a `previous` link), read from an index starting there, so a page deep
    in the list costs what the first page costs; an OFFSET page reads every row before it. `page` still
    works (existing clients; the first request has neither), and the response keeps its shape: `count`,
    `next`, `previous`, `results`. A cursor wins over `page`. The paginated rows offer `count()`,
    slices (page numbers) and `keyset(position=, forward=, size=)` (textbooks.selectors.OrderedRows,
    SchoolPages). The cursor is opaque to clients (take it from a link); the schema gives its pattern,
    so a schema-valid cursor is a valid one (any position: past the end is an empty page)."""

    cursor_query_param = "cursor"
    ordering: tuple[str, ...] = ()
    template = None  # no page-number controls in the browsable API: a cursor page has no number

    @classmethod
    def cursor_pattern(cls) -> str:
        # Up to 18 digits: every value fits a bigint column (a larger one would be a database error).
        return r"^[ab][0-9]{1,18}" + r"(\.[0-9]{1,18})" * (len(cls.ordering) - 1) + "$"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            rows = super().paginate_queryset(queryset, request, view)
            if rows is not None:
                self.count = self.page.paginator.count
                self._links(rows, before=self.page.has_previous(), after=self.page.has_next(), position=None)
            return rows
        forward, position = self._cursor_read(raw)
        if self.page_query_param in request.query_params:
            self.get_page_number(request, None)  # refused if malformed, as without a cursor; then unused
        if tuple(queryset.order) != tuple(self.ordering):
            raise ImproperlyConfigured(f"{type(self).__name__} orders by {self.ordering}, the rows by {queryset.order}")
        size = self.get_page_size(request)
        rows = queryset.keyset(position=position, forward=forward, size=size + 1)  # one more: is there another page?
        more = len(rows) > size
        if more:
            rows = rows[:size] if forward else rows[1:]
        self.count = queryset.count()
        # The side a cursor page came from has rows (or at least the cursor's own position to go back to).
        self._links(rows, before=True if forward else more, after=more if forward else True, position=position)
        return rows

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.next_link, "previous": self.previous_link, "results": data})

    def get_next_link(self):
        return self.next_link

    def get_previous_link(self):
        return self.previous_link

    def _links(self, rows, *, before: bool, after: bool, position) -> None:
        first = self._position(rows[0]) if rows else position
        last = self._position(rows[-1]) if rows else position
        self.next_link = self._link("a", last) if after and last is not None else None
        self.previous_link = self._link("b", first) if before and first is not None else None

    def _position(self, row) -> tuple:
        return tuple(getattr(row, name) for name in self.ordering)

    def _link(self, direction: str, position: tuple) -> str:
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, direction + ".".join(str(value) for value in position))

    def _cursor_read(self, raw: str) -> tuple[bool, tuple[int, ...]]:
        # re.search with the schema's own pattern: the same strings as the schema's validators accept.
        if not re.search(self.cursor_pattern(), raw):
            message = _("Not a cursor of this list: use the `next` or `previous` link of a response.")
            raise ValidationError({self.cursor_query_param: [message]})
        raw = raw.rstrip("\n")  # what `$` lets through
        return raw[0] == "a", tuple(int(value) for value in raw[1:].split("."))

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        example = f"http://api.example.org/accounts/?{self.cursor_query_param}=a" + ".".join(["123"] * len(self.ordering))
        response["properties"]["next"]["example"] = example
        response["properties"]["previous"]["example"] = example.replace("=a", "=b")
        return response

    def get_schema_operation_parameters(self, view):
        return [*super().get_schema_operation_parameters(view), {
            "name": self.cursor_query_param,
            "required": False,
            "in": "query",
            "description": str(_(
                "The position to page from, as the `next` or `previous` link of a response gives it (opaque: "
                "build none yourself). Each page then costs what the first costs, however deep; takes "
                "precedence over `page`.")),
            "schema": {"type": "string", "pattern": self.cursor_pattern()},
        }]
