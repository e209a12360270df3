"""The catalogue's internal HTTP API."""

from services.catalogue.api.routes import CatalogueApi, router

__all__ = ["CatalogueApi", "router"]
