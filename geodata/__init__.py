"""Places and movement: readers of open geographic data, networks and travel times."""
