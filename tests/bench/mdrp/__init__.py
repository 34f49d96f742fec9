"""Grubhub's Meal Delivery Routing Problem: replay an instance through a dispatch policy, write
the solution files the official evaluator reads, and check what the evaluator does not."""
