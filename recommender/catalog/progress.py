"""Progress of a long fetch: a tqdm bar on a terminal, a log line every few seconds otherwise.

Why both: a bar is what a person at a terminal wants, but in CI logs or a redirected file a
bar's carriage returns become thousands of lines; there, one line every `interval_s` is enough.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

log = logging.getLogger(__name__)


class Progress:
    """Count work done toward `total`; `close()` ends the bar (or logs the last line)."""

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        interval_s: float = 5.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.total = total
        self.done = 0
        self._log_to = logger or log
        self._logged = -1  # the count the last log line showed
        self.desc = desc
        self._interval = interval_s
        self._started = self._last = time.monotonic()
        stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        self._enabled = enabled
        if enabled and _is_tty(stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="film", file=stream, dynamic_ncols=True)

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if self._enabled and now - self._last >= self._interval:
            self._last = now
            self._log(now)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._enabled and self.done and self.done != self._logged:  # the last count, once
            self._log(time.monotonic())

    def _log(self, now: float) -> None:
        self._logged = self.done
        elapsed = max(1e-6, now - self._started)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 and self.total > self.done else 0.0
        share = 100.0 * self.done / self.total if self.total else 100.0
        self._log_to.info(
            "%s: %s/%s (%.0f%%), %.0f/s, about %.0f s left",
            self.desc,
            f"{self.done:,}",
            f"{self.total:,}",
            share,
            rate,
            left,
        )


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
