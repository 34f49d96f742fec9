"""Deliveries: the rateable work, and the source of the on-time and completion rates."""
