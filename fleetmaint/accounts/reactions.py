"""What other apps do when a fleet's settings change.

``accounts`` sits below every other domain app, so it does not call them:
an app whose rows depend on a fleet setting registers, from its
``AppConfig.ready()``, the dotted path of a function taking ``org`` and the
set of changed field names. Reactions run in the order of their names, in the
transaction of the change.
"""

from django.utils.module_loading import import_string

from fleetmaint.accounts.models import Organization

SETTINGS_REACTIONS: dict[str, str] = {}


def register_settings_reaction(name: str, path: str) -> None:
    SETTINGS_REACTIONS[name] = path


def settings_changed(*, org: Organization, changed: set[str]) -> None:
    """Tells every registered app which of the fleet's settings changed."""
    if not changed:
        return
    for name in sorted(SETTINGS_REACTIONS):
        import_string(SETTINGS_REACTIONS[name])(org=org, changed=frozenset(changed))
