"""The client's language for every /api/ response."""

from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from apikit.errors import is_api_request


class ApiLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, except under /api/. API paths carry no language prefix, so Django
    would answer them in the default language (Russian); an API client chooses with Accept-Language
    (ru, kk or en). First in MIDDLEWARE, so errors raised before any view (an unknown host, another
    school's host, a lost database) are translated too."""

    def process_request(self, request):
        if not is_api_request(request):
            return super().process_request(request)
        request._language_before_api = translation.get_language()
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if not hasattr(request, "_language_before_api"):
            return super().process_response(request, response)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        # For this response only: later code in the thread keeps its language.
        translation.activate(request._language_before_api)
        return response
