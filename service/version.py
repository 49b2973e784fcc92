"""The installed version of maillage."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("maillage")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0.0.0"
