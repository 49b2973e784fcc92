"""``/v1/communes``, ``/v1/stats``, ``/v1/network/isolated``: the territory at a glance."""
