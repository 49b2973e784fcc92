"""``/v1/partners``, ``/v1/opportunities``, ``/v1/relations``: the records of the graph,
read and written."""
