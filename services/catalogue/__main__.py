"""``python -m services.catalogue`` runs the service (same as ``sohoa-catalogue``)."""

from services.catalogue.app import main

main()
