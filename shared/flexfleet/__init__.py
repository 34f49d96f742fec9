"""FlexFleet's domain and data code, shared by every Lambda function (the shared layer)."""
