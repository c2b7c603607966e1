"""The lower apps do not reach up: vehicles and accounts import none of the apps built on them.

Read from the modules' source with ``ast``, so an import inside a function
counts as much as one at the top.
"""

import ast
from pathlib import Path

import pytest

import fleetmaint

ROOT = Path(fleetmaint.__file__).parent
ABOVE_VEHICLES = ("intervals", "tasks", "contracts", "orders", "reports", "api", "compat")
ABOVE_ACCOUNTS = ("vehicles", *ABOVE_VEHICLES, "notifications")


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in the file names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def app_modules(app: str, *, skip: tuple[str, ...] = ()) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if not any(part in skip for part in path.relative_to(ROOT / app).parts)
    ]


def reaching_up(paths: list[Path], above: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(
            name
            for name in imported_modules(path)
            if any(
                name == f"fleetmaint.{app}" or name.startswith(f"fleetmaint.{app}.")
                for app in above
            )
        )
        if bad:
            found[str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name] = bad
    return found


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from fleetmaint.tasks import services\n")
    assert "fleetmaint.tasks.services" in imported_modules(module)
    assert reaching_up([module.parent / "m.py"], ABOVE_VEHICLES) != {}


def test_vehicles_imports_no_app_built_on_it():
    assert reaching_up(app_modules("vehicles"), ABOVE_VEHICLES) == {}


def test_accounts_imports_no_app_built_on_it():
    # The demo seeding command builds a whole fleet; it is a tool, not a layer.
    paths = app_modules("accounts", skip=("management",))
    assert reaching_up(paths, ABOVE_ACCOUNTS) == {}


@pytest.mark.parametrize(
    "kind", ["evaluate", "refresh_predictions", "count_distances", "convert_distances"]
)
def test_the_apps_that_care_register_their_reactions_in_a_fixed_order(kind):
    from fleetmaint.vehicles import reevaluation

    entries = sorted(reevaluation.READING_REEVALUATIONS.values(), key=lambda e: e.position)
    names = [entry.name for entry in entries if getattr(entry, kind)]
    # Every app holding a distance of a vehicle converts it when the vehicle's unit changes.
    holding = ["intervals", "tasks", "contracts", "orders", "ingest"]
    expected = {
        "evaluate": ["intervals", "tasks", "contracts"],
        "count_distances": holding,
        "convert_distances": holding,
    }
    assert names == expected.get(kind, ["intervals", "tasks"])


def test_contracts_follow_the_fleet_settings():
    from fleetmaint.accounts import reactions

    assert reactions.SETTINGS_REACTIONS == {
        "contracts": "fleetmaint.contracts.services.contracts_settings_changed"
    }
