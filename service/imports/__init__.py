"""Imports and exports: GeoJSON, open-data sources, official files fetched, demand layers' files.

- `geojson`: GeoJSON collections in and out (`import_collection`, `export_collection`);
- `feeds`: opening a file of an open-data feed, with the territory's geocoding help;
- `sources`: writing an open-data feed into the store (`import_source`), part after part;
  `readahead` (the parts, read one ahead), `staging` (records as JSON and ``COPY`` rows),
  `clusters` (placing new records, merging partners of several sources);
- `exports`: the data·inclusion export; `fetch`: the official files of a département;
- `report`: what an import did; `queries`: all the SQL of the above.
"""
