"""OpenAPI: every operation documents the shared error responses (see config.api for the shape)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import IsAuthenticated

from config.api import ErrorSerializer
from config.roles import RolePermission

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input; `fields` names each invalid field."),
    "401": _("Not authenticated: send `Authorization: Token <key>` or use a session."),
    "403": _("Authenticated but not allowed (another school's host, global content, methodologists only)."),
    "404": _("Not found, or not visible to the caller."),
}


class ApiAutoSchema(AutoSchema):
    """Adds the shared error responses to every operation: 401/403 where authentication is required,
    404 where a path names an object or a list is paginated, 400 where input is read."""

    def _error_codes(self) -> list[str]:
        codes = []
        reads_input = self.method in ("POST", "PUT", "PATCH") or bool(self._get_filter_parameters())
        if reads_input:
            codes.append("400")
        if any(isinstance(permission, (IsAuthenticated, RolePermission)) for permission in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            codes.append("404")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code, direction=direction
                )
        return responses
