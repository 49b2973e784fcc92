"""Accounts for people: login (password or OpenID Connect), sessions, logout, the user CLI's
operations. API keys stay for machines (`service.auth`)."""
