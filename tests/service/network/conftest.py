"""The network API's tests run on the Gard demo, with the coverage tests' fixture (the app on
the demo database, lifespan run, a key per role, a reading session)."""

from tests.service.coverage.test_coverage_api import demo  # noqa: F401
