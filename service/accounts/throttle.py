"""The login route's own limits, kept in memory for one process: the attempts per client
address (a moving window of one minute, the ``limits`` library as for the API's expensive
routes) and the failures of emails that have no account (`users.UnknownEmails`)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.accounts.users import UnknownEmails


class LoginThrottle:
    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.unknown = UnknownEmails()

    def retry_after(self, address: str) -> int | None:
        """``None`` when this address may try to log in now (the try is counted), else the
        seconds to wait."""
        if self.limiter.hit(self.item, "connexion", address):
            return None
        reset, _ = self.limiter.get_window_stats(self.item, "connexion", address)
        return max(1, math.ceil(reset - time.time()))
