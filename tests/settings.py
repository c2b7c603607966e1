"""The production settings, fed a test environment: DEBUG off, plain HTTP."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-used-only-by-the-test-suite-0123456789")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("MEDIA_ROOT", "/tmp/fleetmaint-test-media")
# Receivers in the tests listen on plain HTTP on loopback.
os.environ.setdefault("WEBHOOKS_ALLOW_HTTP", "true")
os.environ.setdefault("WEBHOOKS_ALLOW_PRIVATE", "true")
os.environ.setdefault("HTTP_DELIVERY_TIMEOUT", "3")

from fleetmaint.settings import *  # noqa: F403

# Tests should not need `collectstatic`.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Jobs queued by on_commit run in-process, so a test sees their effect at once.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # Tests that run two requests or jobs at once need what a deployment has: a
    # database file, whose writers wait their turn. The in-memory test database
    # shares one cache between threads and answers "table is locked" at once.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"fleetmaint-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"  # noqa: F405
