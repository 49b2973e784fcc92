"""``/v1/coverage``, ``/v1/gaps``, ``/v1/siting``: where the territorial offer is missing."""
