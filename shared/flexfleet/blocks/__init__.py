"""Blocks: paid shifts at a mall, released to drivers best standing first, and their bookings."""
