"""``/health``: is the API up, is the database answering."""
