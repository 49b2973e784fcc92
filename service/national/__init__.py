"""National runs: every département × mode on a Dask cluster, written as GeoParquet."""
