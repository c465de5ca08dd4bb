"""Wall-clock helpers: cached zones and local date/time to UTC across DST gaps and folds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ZONES: dict[str, ZoneInfo | None] = {}
_DAY_BOUNDS: dict[tuple[str, date], tuple[datetime, datetime]] = {}
_DAY_BOUNDS_MAX = 200_000
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)


def zone(key: str) -> ZoneInfo | None:
    """The ZoneInfo for an IANA key (cached), or None when the key is unknown."""
    try:
        return _ZONES[key]
    except KeyError:
        pass
    found: ZoneInfo | None
    try:
        found = ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        found = None
    _ZONES[key] = found
    return found


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Earliest UTC instant whose wall time in ``tz`` is at or after ``day`` ``wall``.

    In an ambiguous hour (clocks go back) this is the first occurrence; in a gap (clocks go
    forward past ``wall``) it is the transition instant itself.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, second), max(first, second)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp()) + 1
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


_WALL: dict[tuple[str, date, time], datetime] = {}


def wall_to_utc(key: str, tz: ZoneInfo, day: date, wall: time) -> datetime:
    """Cached ``local_to_utc`` for a zone known by its key."""
    cache_key = (key, day, wall)
    found = _WALL.get(cache_key)
    if found is None:
        if len(_WALL) >= _DAY_BOUNDS_MAX:
            _WALL.clear()
        found = _WALL[cache_key] = local_to_utc(day, wall, tz)
    return found


def day_bounds(key: str, tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """UTC instants at which local ``day`` starts and the next local day starts in ``tz``."""
    cache_key = (key, day)
    bounds = _DAY_BOUNDS.get(cache_key)
    if bounds is None:
        start = wall_to_utc(key, tz, day, _MIDNIGHT)
        end = wall_to_utc(key, tz, day + _ONE_DAY, _MIDNIGHT)
        if len(_DAY_BOUNDS) >= _DAY_BOUNDS_MAX:
            _DAY_BOUNDS.clear()
        bounds = _DAY_BOUNDS[cache_key] = (start, end)
    return bounds


def next_wall(key: str, tz: ZoneInfo, day: date, wall: time, after: datetime) -> datetime:
    """Earliest instant later than ``after`` at which the wall clock in ``tz`` reaches ``wall``
    on ``day`` (its second occurrence when the clocks went back), else on a following day."""
    for _ in range(4):
        first = wall_to_utc(key, tz, day, wall)
        if first > after:
            return first
        naive = datetime.combine(day, wall)
        second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if second > after and second.astimezone(tz).replace(tzinfo=None) == naive:
            return second
        day += _ONE_DAY
    return wall_to_utc(key, tz, day, wall)
