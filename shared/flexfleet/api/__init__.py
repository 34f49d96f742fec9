"""The HTTP side of the shared layer: one resolver factory, one place that maps errors to HTTP."""
