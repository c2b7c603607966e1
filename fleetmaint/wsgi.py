"""WSGI entry point: `gunicorn fleetmaint.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fleetmaint.settings")

application = get_wsgi_application()
