"""``/v1/networks``: the travel networks registered for the territory, and what they know."""
