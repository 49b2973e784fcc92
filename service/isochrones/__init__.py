"""``/v1/isochrones``: the zones reachable from a point within given times."""
