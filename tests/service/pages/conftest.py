"""The browser fixtures of ``test_browser.py`` (Chromium, the demo served by uvicorn), shared
with the other browser test modules of the pages."""

from tests.service.pages.test_browser import browser, demo_server, tab

__all__ = ["browser", "demo_server", "tab"]
