"""The JSON API at /api/v1/: one ``NinjaAPI`` with its key check, error handlers and routers.

Who may call lives in ``api.auth``, the error envelope in ``api.errors``, the
errors each operation declares in ``api.spec``. Each router is added here when
this module is imported; no module under ``api/`` imports this one.
"""

from fleetmaint.api import (
    contracts,
    errors,
    history,
    imports,
    ingest,
    intervals,
    members,
    orders,
    reading_voids,
    reports,
    servicers,
    spec,
    tasks,
    vehicles,
    webhooks,
)
from fleetmaint.api.auth import ApiKeyAuth
from fleetmaint.api.idempotency import idempotent
from fleetmaint.api.parser import StrictJsonParser

api = spec.FleetApi(
    title="fleetmaint API",
    version="1",
    description="Vehicles, readings and everything fleetmaint keeps, for other systems.",
    auth=ApiKeyAuth(),
    parser=StrictJsonParser(),
    urls_namespace="api",
)
errors.install(api)
# Every POST honours Idempotency-Key (api.idempotency), in this one place.
api.add_decorator(idempotent, mode="view")

for module in (
    vehicles,
    reading_voids,
    intervals,
    tasks,
    orders,
    servicers,
    contracts,
    reports,
    history,
    ingest,
    imports,
    webhooks,
    members,
):
    api.add_router("", module.router)
