"""Orientation counts along relations, by period, never a person (`graph.flows`)."""
