"""Infrastructure: the local runtime that runs template.yaml, and the deploy configuration."""
