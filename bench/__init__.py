"""Measurements of the running product (``make bench-gateway``)."""
