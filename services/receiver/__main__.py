"""``python -m services.receiver`` runs the reference receiver."""

from services.receiver.app import main

main()
