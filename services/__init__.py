"""The five sohoa services (each its own process) and the operator tools (``services.ops``)."""
