"""``/v1/matches``: the opportunities a person can reach, explained; cohorts."""
