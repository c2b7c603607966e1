"""Django settings for fleetmaint, read from the environment (see README)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from fleetmaint.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "development-only-secret-key-never-use-in-production-9f3b2c7d1e"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A form sent with an outdated token gets a page in the site's layout saying what to do.
CSRF_FAILURE_VIEW = "fleetmaint.error_pages.csrf_failure"
# Where the site is reached: every absolute link (e-mails, the calendar feed) starts
# here (fleetmaint/links.py). `make run` sets it from PORT.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The most events of each kind (tasks, services, orders) the calendar feed holds.
CALENDAR_FEED_LIMIT = 2_000

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "ninja",
    "fleetmaint.accounts",
    "fleetmaint.attempts",
    "fleetmaint.vehicles",
    "fleetmaint.notifications",
    "fleetmaint.intervals",
    "fleetmaint.tasks",
    "fleetmaint.orders",
    "fleetmaint.contracts",
    "fleetmaint.reports",
    "fleetmaint.search",
    "fleetmaint.ingest",
    "fleetmaint.imports",
    "fleetmaint.idempotency",
]

MIDDLEWARE = [
    # First, so that every response carries the policy, static files included.
    "fleetmaint.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # DEBUG only: warns once when requests arrive where SITE_URL does not point.
    "fleetmaint.links.SiteUrlCheckMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fleetmaint.accounts.middleware.OrganizationMiddleware",
]

ROOT_URLCONF = "fleetmaint.urls"
WSGI_APPLICATION = "fleetmaint.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fleetmaint.accounts.context_processors.organization",
                "fleetmaint.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The statements here are short but planned over large tables, and
    # PostgreSQL's JIT compiler can spend many times a statement's run on
    # compiling it: 0.85 s for a 40 ms re-evaluation at a million tasks.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
TASK_FILE_MAX_BYTES = env_int("TASK_FILE_MAX_BYTES", 10_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000_000

# HTTPS hardening. On by default outside DEBUG; switch off only behind a
# proxy that does not terminate TLS, or for local tests over plain HTTP.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (fleetmaint.csp; docs/security.md): scripts, styles, fonts and
# requests only from this site, no inline scripts, styles or event handlers, no eval,
# never framed. The same in every settings mode.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
}
SESSION_COOKIE_HTTPONLY = True

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "fleetmaint <noreply@localhost>")
# Where fleetmaint.mailfolder.MailFolderBackend (make run) writes each e-mail as an .eml file.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Notifications
SMS_BACKEND = env_str("SMS_BACKEND", "fleetmaint.notifications.transports.ConsoleSmsBackend")
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "https://api.twilio.com/2010-04-01")
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = env_str("SMS_AUTH_TOKEN", "")
SMS_FROM = env_str("SMS_FROM", "")
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION")
HTTP_DELIVERY_TIMEOUT = env_int("HTTP_DELIVERY_TIMEOUT", 10)
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", DEBUG)
# Webhooks and the SMS gateway reach only public internet addresses unless this
# is on (receivers on the installation's own network; on under `make run`).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", DEBUG)
# After a webhook secret is rotated, deliveries are signed with the old one too for this long.
WEBHOOK_SECRET_GRACE_HOURS = env_int("WEBHOOK_SECRET_GRACE_HOURS", 24)
# How many reverse proxies in front append to X-Forwarded-For; 0 trusts only the
# connection's own address (used to count failed sign-ins per address).
FORWARDED_FOR_PROXIES = env_int("FORWARDED_FOR_PROXIES", 0)
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 90)
# Reports with more rows are built by a background job; their files are kept this long.
REPORT_SYNC_LIMIT = env_int("REPORT_SYNC_LIMIT", 5000)
REPORT_KEEP_HOURS = env_int("REPORT_KEEP_HOURS", 24)
# Telematics ingest: at most one reading per vehicle in this many seconds (docs/telematics.md).
TELEMATICS_MIN_INTERVAL_SECONDS = env_int("TELEMATICS_MIN_INTERVAL_SECONDS", 3600)
NOTIFICATION_POLL_SECONDS = env_int("NOTIFICATION_POLL_SECONDS", 20)

REDIS_URL = env_str("REDIS_URL")
Q_CLUSTER = {
    "name": "fleetmaint",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 300,
    "retry": 360,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "label": "Background jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The worker logs every job it runs at INFO; make run keeps it to warnings.
        "django-q": {"level": env_str("Q_LOG_LEVEL", "INFO")},
    },
}
