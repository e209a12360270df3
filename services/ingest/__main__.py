"""``python -m services.ingest`` runs the service (same as ``sohoa-ingest``)."""

from services.ingest.app import main

main()
