"""What error reports may show: Django's debug page (DEBUG on) and the error e-mails/logs that use
the same filter (settings.DEFAULT_EXCEPTION_REPORTER_FILTER).

Django's own filter hides settings named like API/KEY/SECRET/PASS/TOKEN, but not DATABASE_URL and
DATABASE_OWNER_URL (which hold passwords and reach the page through the environment that runserver
copies into request.META), nor a password inside a local variable's value (a connection string in
a traceback frame). This filter hides, everywhere on the page (settings, request.META, cookies,
POST data, frame variables): values under a sensitive name (URL, DSN, DATABASE... added), the
password part of any `scheme://user:password@host` URL, and any value that contains a known secret
(the secret keys, the database passwords, the sensitive environment variables' values); and the
exception's own message (settings.DEFAULT_EXCEPTION_REPORTER), which may quote a connection string.
"""

import os
import re
from urllib.parse import unquote

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SENSITIVE_NAME = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|DATABASE|CREDENTIAL|PRIVATE|SESSION", re.I
)
URL_CREDENTIALS = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<password>[^/\s@]+)(?=@)", re.I)
MIN_SECRET_LENGTH = 6  # shorter values would hide harmless text that happens to contain them


def _known_secrets() -> set[str]:
    secrets = {settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])}
    for database in settings.DATABASES.values():
        secrets.add(database.get("PASSWORD") or "")
    for name, value in os.environ.items():
        if SENSITIVE_NAME.search(name):
            secrets.add(value)
            secrets.update(unquote(match["password"]) for match in URL_CREDENTIALS.finditer(value))
    return {secret for secret in secrets if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH}


class SecretsHidingFilter(SafeExceptionReporterFilter):
    hidden_settings = SENSITIVE_NAME

    def is_active(self, request):
        # Also with DEBUG on: @sensitive_variables / @sensitive_post_parameters always apply.
        return True

    def _hide_in_value(self, value):
        if isinstance(value, str):
            if any(secret in value or secret in unquote(value) for secret in _known_secrets()):
                return self.cleansed_substitute
            return URL_CREDENTIALS.sub(lambda match: match["head"] + self.cleansed_substitute, value)
        return value

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return self._hide_in_value(cleansed)

    def get_traceback_frame_variables(self, request, tb_frame):
        hidden = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if SENSITIVE_NAME.search(name):
                hidden.append((name, self.cleansed_substitute))
                continue
            text = value if isinstance(value, str) else self._safe_repr(value)
            hidden.append((name, value if self._hide_in_value(text) == text else self.cleansed_substitute))
        return hidden

    @staticmethod
    def _safe_repr(value) -> str:
        try:
            return repr(value)[:100_000]
        except Exception:  # a broken __repr__ must not break the error page
            return ""


class SecretsHidingReporter(ExceptionReporter):
    def get_traceback_data(self):
        data = super().get_traceback_data()
        if isinstance(data.get("exception_value"), str):
            data["exception_value"] = self.filter._hide_in_value(data["exception_value"])
        return data
