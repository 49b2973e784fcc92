"""``/v1/reference/...``: the shared vocabularies (kinds, families, thematiques, publics...)."""
