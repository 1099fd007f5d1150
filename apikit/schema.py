"""OpenAPI: every operation documents the shared error responses (see apikit.errors for the shape)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import IsAuthenticated

from config.roles import RolePermission

from apikit.errors import ErrorSerializer
from apikit.filters import IntegerFilter

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input; `fields` names each invalid field."),
    "401": _("Not authenticated: send `Authorization: Token <key>` or use a session."),
    "403": _("Authenticated but not allowed (another school's host, global content, methodologists only)."),
    "404": _("Not found, or not visible to the caller."),
    "413": _("The request body is larger than the upload limit."),
    "415": _("The request body is not JSON (send `Content-Type: application/json`)."),
    "429": _("Too many attempts: wait the number of seconds in `Retry-After`."),
    "500": _("An unexpected error; it is logged, and nothing of the request was saved."),
}


class ApiAutoSchema(AutoSchema):
    """Adds the shared error responses to every operation: 400 where input is read, 401/403 where
    authentication is required, 404 where a path names an object or a list is paginated, 413/415
    where a body is read, 429 where the view says it throttles (`throttled_statuses`), 500 always.
    (A 405 belongs to the methods a path does not offer, which the schema does not list.)

    Integer filters document their bounds (min_value/max_value), so a schema-valid query is a
    valid one."""

    def _error_codes(self) -> list[str]:
        codes = []
        reads_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters():
            codes.append("400")
        if any(isinstance(permission, (IsAuthenticated, RolePermission)) for permission in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            codes.append("404")
        if reads_body:
            codes += ["413", "415"]
        if getattr(self.view, "throttled", False) or self.view.get_throttles():
            codes.append("429")
        codes.append("500")
        return codes

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None or not self._is_list_view():
            return parameters
        for parameter in parameters:
            declared = filterset_class.base_filters.get(parameter["name"])
            if isinstance(declared, IntegerFilter):
                bounds = {"minimum": declared.extra.get("min_value"), "maximum": declared.extra.get("max_value")}
                parameter["schema"] = {**parameter["schema"], **{k: v for k, v in bounds.items() if v is not None}}
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code, direction=direction
                )
        return responses

