"""``python -m services.gateway`` runs the service (same as ``sohoa-gateway``)."""

from services.gateway.app import main

main()
