"""Dispatch: which driver on duty takes which waiting order, run per mall."""
