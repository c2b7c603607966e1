"""The production settings, fed a test environment: DEBUG off, plain HTTP."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-used-only-by-the-test-suite-0123456789")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("MEDIA_ROOT", "/tmp/fleetmaint-test-media")

from fleetmaint.settings import *  # noqa: F403

# Tests should not need `collectstatic`.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
