"""The HTTP face: the FastAPI app, its routes, protocol models and the service gateway."""
