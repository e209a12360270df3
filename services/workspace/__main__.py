"""``python -m services.workspace`` runs the service (same as ``sohoa-workspace``)."""

from services.workspace.app import main

main()
