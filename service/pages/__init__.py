"""The server-rendered pages for people (/, /carte, /partenaires, /orientation, /reseau)."""
