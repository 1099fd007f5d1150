"""The test settings: the app's own (config.settings, read from the environment as always) with a fast
password hasher. Production hashes at 1,000,000 PBKDF2 iterations, about 0.3 s per password; every
fixture user and login paid it, most of the suite's non-load time. pytest.ini selects this module, and
the processes the suite starts (manage.py, gunicorn) inherit DJANGO_SETTINGS_MODULE from it.
"""

from config.settings import *  # noqa: F401,F403

# Never in production: MD5 is for tests only (Django's documented test speed-up).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
