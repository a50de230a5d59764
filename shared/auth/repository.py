from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, update

from shared.auth.models import ApiKey
from shared.kernel.repository import Repository


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        result = await self.session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
        return result.scalar_one_or_none()

    async def by_prefix(self, prefix: str) -> Sequence[ApiKey]:
        result = await self.session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
        return result.scalars().all()

    async def list(self) -> Sequence[ApiKey]:
        result = await self.session.execute(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
        return result.scalars().all()

    async def touch(self, key_id: uuid.UUID, at: dt.datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at)
        )
