"""Names of the worker's jobs: the API and the CLI enqueue by name, never by import."""

from typing import Final

PING: Final = "ping"
