"""A local runtime for template.yaml: moto for AWS, an HTTP API gateway with a JWT authorizer and
CORS, a WebSocket API with its REQUEST authorizer and @connections, the user pool's sign-in
endpoints, the dashboard's site, DynamoDB stream event source mappings, schedules, and custom
resources created at start, without Docker.

Everything it runs comes from the template; it keeps no list of its own.
"""
