"""The API's routes, a router per area; /openapi.json serves them all."""
