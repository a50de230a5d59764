from __future__ import annotations

from tests.institutions.world import world as world
