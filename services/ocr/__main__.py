"""``python -m services.ocr`` runs the service (same as ``sohoa-ocr``)."""

from services.ocr.app import main

main()
