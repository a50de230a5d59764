"""Where the shared real-document corpus lives, and a skip when it is absent."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UPR_DATA = SHARED_DATA / "upr"
UHRI_DATA = SHARED_DATA / "uhri"


def require(path: Path) -> Path:
    """Return ``path``, or skip the test when the shared corpus is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (expected ../shared/data beside the repo)")
    return path
