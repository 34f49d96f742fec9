"""Ratings: what customers say, what drivers answer, and the disputes over them."""
