"""Readers of open-data sources, each turning a published format into plain records."""
