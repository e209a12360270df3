"""``python -m services.handover`` runs the service (same as ``sohoa-handover``)."""

from services.handover.app import main

main()
