"""OGC API – Features: maillage's layers for GIS clients (QGIS, OWSLib, GDAL)."""
