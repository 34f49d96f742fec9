"""The catalogue: the malls of the retail pilot and the retailers onboarded in them."""
