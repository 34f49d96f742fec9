"""Retail shipping orders: pre-packaged orders from a mall's stores, from placement to the door."""
