"""maillage's service: HTTP API, PostGIS store, authentication, command line and pages."""
