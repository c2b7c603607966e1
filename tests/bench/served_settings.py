"""The production settings, with the page floor's URL beside the product's, for gunicorn.

Everything else comes from the environment as in a deployment (see
``tests.bench.served``); only ROOT_URLCONF differs, so that the constant page
can be loaded the same way as the dashboard.
"""

from fleetmaint.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.pages_urls"
