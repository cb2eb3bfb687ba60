"""`python -m tenantctl` runs the CLI."""

from __future__ import annotations

from tenantctl.cli.app import main

if __name__ == "__main__":
    main()
