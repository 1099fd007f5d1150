"""The session engine (settings.SESSION_ENGINE): Django's database sessions, read and written only
through the identity functions by key, so the runtime role can never list or read other sessions."""

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import transaction

from tenants import credentials


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        data = credentials.session_load(key=self.session_key)
        if data is None:
            self._session_key = None
        return data

    def load(self):
        data = self._get_session_from_db()
        return self.decode(data) if data is not None else {}

    def exists(self, session_key):
        return credentials.session_exists(key=session_key)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        with transaction.atomic():
            saved = credentials.session_save(
                key=self._get_or_create_session_key(), data=self.encode(data),
                expire_date=self.get_expiry_date(), must_create=must_create,
            )
        if not saved:
            raise CreateError if must_create else UpdateError

    def delete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        credentials.session_delete(key=session_key)

    @classmethod
    def clear_expired(cls):
        credentials.sessions_clear_expired()

    # Async variants: this project serves WSGI only; refuse rather than bypass the functions.
    async def aload(self):  # pragma: no cover
        raise NotImplementedError("sessions are served through WSGI only")

