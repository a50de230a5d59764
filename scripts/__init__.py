"""Project scripts; `scripts.servers` is importable by the tests."""
