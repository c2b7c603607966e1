#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fleetmaint.settings")
    # On a developer's machine, with no SECRET_KEY in the environment, commands
    # run in development mode. A deployment sets SECRET_KEY and gets its own
    # DEBUG (false unless it says otherwise).
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
