"""A realistic demo district, generated deterministically from a seed."""
