"""Under /api/: the client's language for every response."""

from django.utils import translation

from apikit.errors import is_api_request


class ApiMiddleware:
    """After LocaleMiddleware. API paths carry no language prefix, so LocaleMiddleware leaves them in
    the default language (Russian); an API client chooses with Accept-Language (ru, kk or en), and
    this applies to every /api/ response, errors raised before a view included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request):
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        with translation.override(language):  # this response only: nothing leaks to the thread
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers["Content-Language"] = language
        return response
