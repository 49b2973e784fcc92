"""Imports and exports: GeoJSON, open-data sources, official files fetched, demand layers' files."""
