"""``RedisGate``: one cool-down gate for a whole fleet, its state in Redis.

Each method of the gate is one Lua script call (EVALSHA), so each decision is atomic
across every process that shares the Redis, and costs one round trip. Per bucket
(service host, identity hash, and the endpoint's own bucket), under
``<namespace>:{<bucket>}:``:

- ``g``, a hash: the window's end, the pace (``base``, ``margin``, ``peak``, ``good``,
  ``run``, ``strikes``, ``pause``, ``reported``), the last release, when the last 429
  counted, what closed the bucket;
- ``q``, a sorted set: the waiters' tickets in the order they first asked;
- ``l``, a sorted set: when each waiter's lease ends. A waiter asks again after each
  wait it was handed; one that has not asked within ``LEASE`` seconds of that (its
  process died) loses its place, so a crashed worker cannot hold up the fleet;
- ``r``, a list: the times of the last 256 calls that were not throttled (the first
  estimate of a rate nobody reported).

Every write sets an expiry: a bucket lives until ``linger`` after its next release
slot (or its last waiter's lease), exactly when the in-process gate would forget it.

**Time.** Processes on different machines have unrelated monotonic clocks and wall
clocks that drift apart, so the shared state is on one clock: Redis's own (``TIME``,
inside the script). Callers pass durations (how long ago a call was sent, how far its
deadline is) computed on their own clock, and get durations back: the conversion is
at the boundary, and no two machines' clocks are ever compared.

**Blocking.** The gate's interface is synchronous (its decisions never wait; the
drivers sleep), so the async clients call Redis synchronously too: one loopback or
LAN round trip (tens to hundreds of microseconds), bounded by ``budget``. redis-py's
asyncio client would need an async gate interface and runs on asyncio only, while the
async clients also run on trio.

**Redis away.** A call that Redis has not answered within ``budget`` (50 ms: the
socket's connect and read timeouts), or that failed in any way, is decided by an
in-process ``Gate`` instead, which has seen every window this process was given
(throttled answers are recorded in both). The first such call logs a WARNING; for
``cooloff`` seconds every call stays in the process without trying Redis, then one
call tries again, and the gate is back on Redis when it answers. No Redis error ever
reaches the caller.
"""

from __future__ import annotations

import collections
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import _gate
from ._exceptions import StatusError, class_for_status
from ._gate import GO, Closure, Gate, StartTicket, Ticket, Verdict

if TYPE_CHECKING:
    import redis

log = logging.getLogger("sessionclient")

BUDGET = 0.05
"""Seconds a gate decision waits for Redis before it is made in the process."""
COOLOFF = 5.0
"""Seconds the gate stays in the process after Redis failed, before it tries again."""
LEASE = 2.0
"""Seconds past its wait within which a waiter must ask again to keep its place."""
LOCAL_KEYS = 1024
"""Buckets the in-process fallback remembers at most (the least recently used go
first); one idle for ``RECENT`` seconds goes too."""
IDENTITY_KEY_ENV = "SESSIONCLIENT_IDENTITY_KEY"
"""Where ``RedisGate`` finds the fleet's identity key when none is given."""
RECENT = 300.0
"""Seconds the record of recent successes is kept after the last one (MPSD's longest
window: no estimate looks further back)."""

_SCRIPT = """
-- The in-process gate's decisions (sessionclient/_gate.py, Gate), on state kept here.
-- KEYS: 1 the bucket (hash), 2 its queue, 3 its waiters' leases, 4 recent successes.
-- ARGV: 1 the operation, 2 the shared time ('' = Redis's TIME), then the operation's.
if redis.replicate_commands then redis.replicate_commands() end
local G, Q, L, R = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op = ARGV[1]
local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[2])
end

local function f(x) return string.format('%.17g', x) end

local function load()
  local v = redis.call('HMGET', G, 'till', 'last', 'base', 'margin', 'reported', 'linger',
    'since', 'peak', 'good', 'run', 'strikes', 'pause', 'tested', 'gen', 'kind', 'status',
    'method', 'url', 'skipped', 'first', 'saved', 'fine', 'counts')
  if not v[1] then return nil end
  return {till = tonumber(v[1]), last = tonumber(v[2]), base = tonumber(v[3]),
    margin = tonumber(v[4]), reported = v[5] == '1', linger = tonumber(v[6]),
    since = tonumber(v[7]), peak = tonumber(v[8]), good = tonumber(v[9]),
    run = tonumber(v[10]), strikes = tonumber(v[11]), pause = tonumber(v[12]),
    tested = tonumber(v[13]), gen = v[14], closure = {v[15], v[16], v[17], v[18]},
    skipped = v[19] == '1', first = tonumber(v[20] or '0'), saved = tonumber(v[21] or '0'),
    fine = tonumber(v[22] or ''), counts = v[23] == '1'}
end

local function save(b)
  redis.call('HSET', G, 'till', f(b.till), 'last', f(b.last), 'base', f(b.base),
    'margin', f(b.margin), 'reported', b.reported and '1' or '0', 'linger', f(b.linger),
    'since', f(b.since), 'peak', f(b.peak), 'good', f(b.good), 'run', f(b.run),
    'strikes', b.strikes, 'pause', f(b.pause), 'tested', b.tested, 'gen', b.gen,
    'kind', b.closure[1], 'status', b.closure[2], 'method', b.closure[3],
    'url', b.closure[4], 'skipped', b.skipped and '1' or '0', 'first', f(b.first),
    'saved', f(b.saved), 'fine', f(b.fine), 'counts', b.counts and '1' or '0')
end

-- _Bucket.spacing: while closed (strikes), a learned pace releases one call per window.
local function spacing_of(b)
  local paced = b.base * b.margin
  if b.strikes == 0 or b.reported then return paced end
  return math.max(paced, b.pause)
end
local function start_of(b) return math.max(b.till, b.last + spacing_of(b)) end

-- _gate.recovery, climb, past and probe (the constants come with each call).
local recover, recover_time, recover_min
local function recovery(peak)
  return math.min(recover, math.max(recover_min, recover_time / peak))
end
local function climb(peak, run, steps, beta)
  local rest = 1.0 - run / steps
  return peak / (1.0 - (1.0 - beta) * rest * rest * rest)
end
local function past(run, steps)
  if run < steps then return 0 end
  return math.floor(run - steps) + 1
end
local function probe(spacing, beyond, probe_up, fine, fine0)
  local step = fine0 * beyond * beyond
  if beyond <= 1 then step = fine end
  return spacing * math.max(probe_up, 1.0 - step)
end

-- Successes within the last `span` seconds.
local function done_within(span)
  local done = 0
  for _, t in ipairs(redis.call('LRANGE', R, 0, -1)) do
    if tonumber(t) > now - span then done = done + 1 end
  end
  return done
end

-- Waiters that did not come back in time (their process died) lose their place.
local function purge()
  local gone = redis.call('ZRANGEBYSCORE', L, '-inf', '(' .. f(now))
  for _, member in ipairs(gone) do
    redis.call('ZREM', Q, member)
    redis.call('ZREM', L, member)
  end
end

-- The in-process gate forgets a bucket nobody needed for `linger` after its next slot.
local function lapsed(b)
  return redis.call('ZCARD', Q) == 0 and now >= start_of(b) + b.linger
end

-- Nothing outlives what it describes: the bucket goes when it lapses, or when its
-- last waiter's lease ends.
local function expire(b)
  local horizon = start_of(b) + b.linger
  local last = redis.call('ZRANGE', L, -1, -1, 'WITHSCORES')
  if last[2] then horizon = math.max(horizon, tonumber(last[2])) end
  local ms = math.max(math.ceil((horizon - now) * 1000), 1)
  redis.call('PEXPIRE', G, ms)
  redis.call('PEXPIRE', Q, ms)
  redis.call('PEXPIRE', L, ms)
end

local function current()
  local b = load()
  if b then
    purge()
    if lapsed(b) then
      redis.call('DEL', G, Q, L)
      return nil
    end
  end
  return b
end

-- Gate._release: a release near the pace tests it; a reported rate absorbs up to half
-- a spacing of lateness, a learned one keeps every two releases a spacing apart.
local function release(b, due)
  local spacing = spacing_of(b)
  if now - b.last <= spacing * 1.2 then
    b.tested = b.tested + 1
  end
  local absorbed = 0
  if b.reported then absorbed = spacing / 2 end
  b.last = math.max(due, now - absorbed)
  redis.call('HSET', G, 'last', f(b.last), 'tested', b.tested)
  expire(b)
end

local function leave(member)
  redis.call('ZREM', Q, member)
  redis.call('ZREM', L, member)
end

if op == 'admit' then
  local b = current()
  if not b then return {'go'} end
  local member = ARGV[3]
  local deadline = math.huge
  if ARGV[4] ~= 'inf' then deadline = now + tonumber(ARGV[4]) end
  local spacing = spacing_of(b)
  local start = start_of(b)
  local fresh = member == ''
  if fresh then
    if redis.call('ZCARD', Q) == 0 and now >= start then
      release(b, start)  -- (a bucket past its linger lapsed in current())
      return {'go'}
    end
    local number = redis.call('HINCRBY', G, 'issued', 1) - 1
    member = b.gen .. ':' .. string.format('%012d', number)  -- ties: in ticket order
    local arrived = now
    if ARGV[6] ~= '' then arrived = math.min(now - tonumber(ARGV[6]), now) end
    redis.call('ZADD', Q, f(arrived), member)
  elseif not redis.call('ZSCORE', Q, member) then
    return {'go'}  -- the bucket was replaced meanwhile, or the lease ran out
  end
  local ahead = redis.call('ZRANK', Q, member)
  if now >= start and (not fresh or ahead == 0) then  -- awake once the release is due
    leave(member)
    release(b, start)
    return {'go'}
  end
  local slot = start + ahead * spacing
  if now >= deadline or start >= deadline or (b.reported and slot >= deadline) then
    leave(member)
    return {'refused', f(math.max(slot - now, 0))}
  end
  local awake = 8
  if b.reported then awake = 2 end
  local wait = start - now + math.min(ahead, awake) * spacing / (4 * awake)
  if ahead >= awake and (b.reported or now >= b.till) then  -- while closed: wake at its end
    local ahead_of_turn = (ahead - awake + 1) * spacing
    if b.reported then wait = wait + ahead_of_turn else wait = wait + ahead_of_turn / 2 end
  end
  wait = math.max(math.min(wait, deadline - now), 0.0005)
  redis.call('ZADD', L, f(now + wait + tonumber(ARGV[5])), member)
  expire(b)
  return {'wait', f(wait), member}
elseif op == 'passed' then
  local sent_at = now - tonumber(ARGV[3])
  local probe_step, probe_up = tonumber(ARGV[4]), tonumber(ARGV[5])
  local beta, min_spacing = tonumber(ARGV[6]), tonumber(ARGV[11])
  recover, recover_time, recover_min = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
  redis.call('RPUSH', R, f(now))
  redis.call('LTRIM', R, -256, -1)
  redis.call('PEXPIRE', R, math.ceil(tonumber(ARGV[7]) * 1000))
  local b = current()
  if b and sent_at <= b.since and b.first > 0 and b.good == 0 and not b.reported then
    -- a late answer of the burst whose successes the first estimate counted
    b.peak = b.first / (math.floor(b.first / b.peak + 0.5) + 1)
    b.base = b.peak / beta
    redis.call('HSET', G, 'peak', f(b.peak), 'base', f(b.base))
    expire(b)
  elseif b and sent_at > b.since then
    b.strikes = 0
    if not b.reported then
      b.good = b.base
      if b.peak == 0 then
        b.base = math.max(b.base * probe_step, min_spacing)
      elseif b.tested > 0 then
        b.tested = b.tested - 1
        b.run = b.run + 1
        local steps = recovery(b.peak)
        if b.run < steps then
          b.base = climb(b.peak, b.run, steps, beta)
        else
          local fine0 = tonumber(ARGV[12])
          b.base = math.max(probe(math.min(b.base, b.peak), past(b.run, steps),
            probe_up, b.fine or fine0, fine0), min_spacing)
        end
      end
    end
    redis.call('HSET', G, 'strikes', 0, 'good', f(b.good), 'base', f(b.base),
      'tested', b.tested, 'run', f(b.run))
    expire(b)
  end
  return nil
elseif op == 'hold' then
  local limit = tonumber(ARGV[4])
  local sent_at = now - tonumber(ARGV[6])
  local closure = {ARGV[7], ARGV[8], ARGV[9], ARGV[10]}
  local report_margin, max_margin = tonumber(ARGV[11]), tonumber(ARGV[12])
  local beta, max_linger = tonumber(ARGV[13]), tonumber(ARGV[14])
  local bare, bare_max = tonumber(ARGV[15]), tonumber(ARGV[16])
  local first_pace, drop, fell = tonumber(ARGV[17]), tonumber(ARGV[18]), tonumber(ARGV[19])
  recover, recover_time, recover_min = tonumber(ARGV[20]), tonumber(ARGV[21]), tonumber(ARGV[22])
  local outage, fine0, fine_min = tonumber(ARGV[23]), tonumber(ARGV[24]), tonumber(ARGV[25])
  local function repeak(b, peak)  -- _gate._drop: a new peak, the pace at beta of it
    b.peak = math.min(peak, limit)
    b.base = math.min(b.peak / beta, limit)
    b.run = 0.0
  end
  local b = current()
  if b then b.fine = b.fine or fine0 end  -- (a bucket saved before it had one)
  if b and sent_at <= b.since then  -- sent before the last 429 that counted: no strike,
    local till = ARGV[3] ~= '' and now + math.min(tonumber(ARGV[3]), limit)
    if till and till > b.till then  -- but its window's end counts
      b.till = till
      save(b)
      expire(b)
    end
    return nil
  end
  local strikes = 1
  if b then strikes = b.strikes + 1 end
  local window
  if ARGV[3] == '' then
    local counted = strikes  -- a first 429 while pacing only skipped a release
    if b and b.skipped then counted = strikes - 1 end
    window = math.min(bare * 2 ^ math.min(math.max(counted, 1) - 1, 16), bare_max)
  elseif strikes >= 2 then
    window = math.max(tonumber(ARGV[3]),
      math.min(bare * 2 ^ math.min(math.max(strikes - 1, 1) - 1, 16), bare_max))
  else
    window = tonumber(ARGV[3])
  end
  window = math.min(window, limit)
  local rate = nil
  if ARGV[5] ~= '' then rate = tonumber(ARGV[5]) end
  if tonumber(closure[2]) ~= 429 and rate == nil then
    rate = math.min(math.max(window / 50, 0.001), 0.05)
  end
  if rate then rate = math.min(rate, math.max(window, 0.001)) end
  if not b then
    local reported = rate ~= nil
    local peak, first = 0, 0
    if not reported then
      local span = math.min(math.max(window, 1.0), limit)
      local done = done_within(span)
      rate = math.min(span / math.max(done, 1), first_pace)
      if done >= 5 then
        peak = span / done
        rate = math.min(peak / beta, limit)
        first = span
      end
    end
    local margin = 1.0
    if reported then margin = report_margin end
    b = {till = now + window, last = -1e300, base = rate, margin = margin,
      reported = reported, linger = math.min(math.max(window, rate, 1.0), max_linger),
      since = now, peak = peak, good = 0, run = 0, strikes = 1, pause = window, tested = 0,
      gen = f(now), closure = closure, first = first, saved = 0, fine = fine0, counts = false}
    redis.call('DEL', Q, L)
    redis.call('HSET', G, 'issued', 0)
  else
    local paced = now >= b.till and b.strikes == 0
    local refused = spacing_of(b)  -- the pace of the release refused, if paced
    local near = false  -- refused near the peak or past it (Gate.hold)
    if rate then
      b.base = rate
      b.reported = true
    end
    if b.reported then
      b.margin = math.min(max_margin, b.margin * 1.5 - 0.5)
    elseif b.strikes == 0 then
      if b.run >= fell then b.saved = b.peak end  -- a peak that held (Gate.hold)
      local good = b.good
      if good == 0 then good = b.base end
      local done = done_within(1.0)  -- burst credit: see Gate.hold
      local credit = done >= 5 and 1.0 / done > 2 * good
      if credit then good = 1.0 / done end
      if b.peak == 0 then
        near = true
        b.peak = math.min(good, limit)
        b.base = b.peak
        b.run = recovery(b.peak) - 1.0
      else
        if b.run < fell then
          local fallen = b.base / drop
          if done >= 5 then fallen = math.min(fallen, 1.0 / done) end
          if credit then fallen = math.max(fallen, good) end
          repeak(b, fallen)
        else
          local steps = recovery(b.peak)
          local beyond = past(b.run, steps)
          near = b.run >= steps / 2
          if beyond == 1 then b.fine = math.max(b.fine / 2, fine_min)
          elseif beyond > 1 then b.fine = math.min(b.fine * 2, fine0) end
          repeak(b, good)
        end
      end
    elseif b.skipped and b.strikes == 1 and b.peak > 0 then
      -- the release after a paced 429 refused too (see Gate.hold)
      local done = done_within(1.0)
      if done >= 5 then repeak(b, math.max(b.base, 1.0 / done)) else repeak(b, b.base) end
      b.counts = true
    end
    if strikes == outage and b.saved > 0 and not b.reported then  -- an outage (Gate.hold)
      repeak(b, b.saved)
      b.saved = 0
    end
    b.strikes = strikes
    b.since = now
    local pace = b.base * b.margin
    local till
    b.skipped = paced
    if paced and near and ARGV[3] == '' and not b.counts then
      -- refused bare near the peak: the next release takes its slot (Gate.hold)
      if b.last <= sent_at then b.last = b.last - refused end
      till = now
      b.pause = pace
    elseif paced then
      if b.reported then till = math.max(now, b.last) + 2 * pace
      else till = math.max(now, b.last) + pace end
      b.pause = pace
    else
      till = now + window
      b.pause = window
    end
    b.till = math.max(b.till, till)
    b.closure = closure
  end
  save(b)
  expire(b)
  return nil
elseif op == 'give_back' then
  leave(ARGV[3])
  return nil
elseif op == 'window' then
  local b = current()
  if not b or now >= b.till then return {} end
  return {f(b.till - now), b.closure[1], b.closure[2], b.closure[3], b.closure[4]}
elseif op == 'closure' then
  local b = current()
  if not b then return {} end
  return b.closure
elseif op == 'spacing' then
  local b = current()
  if not b then return {} end
  return {f(spacing_of(b))}
end
return redis.error_reply('unknown operation ' .. op)
"""


class _RedisTicket(Ticket):
    """A place in a queue kept in Redis."""

    __slots__ = ("member",)

    def __init__(self, key: str, number: int, member: str) -> None:
        super().__init__(key, number)
        self.member = member


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _kind(name: str, status: int) -> type[StatusError]:
    """The exception class named ``name`` (an SDK class), else the status's own."""
    pending: list[type[StatusError]] = [StatusError]
    while pending:
        kind = pending.pop()
        if kind.__name__ == name:
            return kind
        pending.extend(kind.__subclasses__())
    return class_for_status(status)


def _closure(fields: Sequence[object]) -> Closure:
    name, status, method, url = (_text(field) for field in fields)
    code = int(status)
    if not 100 <= code <= 599:
        raise ValueError(f"the gate's script answered a status of {code}")
    return Closure(_kind(name, code), code, method[:20], url[:2000])


def _where(client: redis.Redis) -> str:
    """Where the client connects, without credentials."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


class RedisGate:
    """One cool-down gate for a whole fleet: every client given this gate, in this
    process or another, on this machine or another, waits for the same windows and is
    released at the service's rate across the fleet. Its state lives in Redis (needs
    ``pip install 'sessionclient[redis]'``).

    Build it with ``RedisGate.from_url("redis://host:6379/0", namespace="mygame")`` and
    pass it as ``gate=`` to any client. Clients share a bucket when they call the same
    host as the same identity (the Xbox Live user hash, or a hash of the
    ``Authorization`` value; see the manual's Retries and throttling page); the token
    itself is never stored.

    When Redis does not answer within ``budget`` seconds, or fails, each decision is
    made in the process (an in-process gate that saw this process's windows), a
    WARNING is logged once, and Redis is tried again after ``cooloff`` seconds. No
    Redis error reaches the caller.

    ``RedisGate(client)`` takes a redis-py client you built; it keeps its own timeouts
    and retries, so give it short ones (``from_url`` does).

    ``identity_key`` (default: ``$SESSIONCLIENT_IDENTITY_KEY``) is a secret the whole
    fleet shares: identities are hashed with it (HMAC-SHA256) before they name a key
    in Redis. Without it, a user hash is hashed with a fixed key (it names, it does not
    authenticate), and a whole ``Authorization`` value with a random key of the
    process, so clients that call with the same non-Xbox credential share a bucket
    only in one process.

    ``clock`` is for tests: a clock every process shares, read instead of Redis's
    ``TIME`` for the shared state and instead of ``time.monotonic`` for the cool-off.

    The slow start toward a bucket nothing is known of is each process's own (its
    in-process gate's): a fleet of N processes sends at most N times as many first
    calls, and a 429 seen by any of them closes the bucket for all.
    """

    identity_key: bytes | None
    """The fleet's key for hashing identities, or None."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = "sessionclient",
        cooloff: float = COOLOFF,
        clock: Callable[[], float] | None = None,
        identity_key: str | bytes | None = None,
    ) -> None:
        if identity_key is None:
            identity_key = os.environ.get(IDENTITY_KEY_ENV) or None
        if isinstance(identity_key, str):
            identity_key = identity_key.encode()
        if identity_key is not None and (not isinstance(identity_key, bytes) or not identity_key):
            raise ValueError("identity_key must be a non-empty str or bytes")
        self.identity_key = identity_key
        if not isinstance(namespace, str) or not namespace:
            raise ValueError("namespace must be a non-empty str")
        if isinstance(cooloff, bool) or not isinstance(cooloff, int | float) or cooloff < 0:
            raise ValueError("cooloff must be a number of seconds >= 0")
        if clock is not None and not callable(clock):
            raise TypeError("clock must be a callable returning seconds")
        self._redis = client
        self._script = client.register_script(_SCRIPT)  # no round trip until it is used
        self._namespace = namespace
        self._cooloff = float(cooloff)
        self._clock = clock
        self._timer = clock or time.monotonic
        self._local = Gate()
        self._seen: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._down_until: float | None = None  # None: Redis answers
        self._probing = False
        self._where = _where(client)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = "sessionclient",
        budget: float = BUDGET,
        cooloff: float = COOLOFF,
        clock: Callable[[], float] | None = None,
        identity_key: str | bytes | None = None,
        **redis_options: Any,
    ) -> RedisGate:
        """A gate on the Redis at ``url`` (``redis://[[user]:password@]host:port/db``,
        ``rediss://`` for TLS, ``unix://``): a redis-py client whose connect and read
        timeouts are ``budget`` seconds and which does not retry by itself (the gate
        falls back instead). ``redis_options`` go to ``redis.Redis.from_url``. Nothing
        connects until the first call. ``identity_key``: see the class."""
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise ImportError(
                "RedisGate needs the redis package: pip install 'sessionclient[redis]'"
            ) from None
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not budget > 0:
            raise ValueError("budget must be a positive number of seconds")
        options: dict[str, Any] = {
            "socket_timeout": budget,
            "socket_connect_timeout": budget,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
            **redis_options,
        }
        return cls(
            redis.Redis.from_url(url, **options),
            namespace=namespace,
            cooloff=cooloff,
            clock=clock,
            identity_key=identity_key,
        )

    def close(self) -> None:
        """Close the connections to Redis."""
        self._redis.close()

    def __repr__(self) -> str:
        return f"RedisGate({self._where}, namespace={self._namespace!r})"

    # --- Redis, or the process -------------------------------------------------------

    def _keys(self, key: str) -> list[str]:
        prefix = f"{self._namespace}:{{{key}}}:"  # one hash slot per bucket (cluster)
        return [prefix + "g", prefix + "q", prefix + "l", prefix + "r"]

    def _usable(self) -> bool:
        """May this call try Redis? Yes while it answers; after a failure, once the
        cool-off is over, one call at a time."""
        if self._down_until is None:
            return True
        with self._lock:
            if self._down_until is None:
                return True
            if self._probing or self._timer() < self._down_until:
                return False
            self._probing = True
            return True

    def _run(self, op: str, key: str, parse: Callable[[Any], Any], *args: str) -> Any:
        """``parse`` applied to the script's answer to ``op``, or ``None`` when Redis
        is away (then the caller decides in the process)."""
        if not self._usable():
            return None
        shared = "" if self._clock is None else repr(float(self._clock()))
        try:
            answer = parse(self._script(keys=self._keys(key), args=[op, shared, *args]))
        except Exception as exc:  # Redis down, slow, refusing, or answering nonsense
            self._lost(exc)
            return None
        if self._down_until is not None:
            self._found()
        return answer

    def _lost(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self._timer() + self._cooloff
            self._probing = False
        if first:
            detail = str(exc)[:200] or "no detail"
            log.warning(
                "the Redis gate at %s failed (%s: %s); cool-downs are kept in this "
                "process until it answers (next try in %.1f s)",
                self._where,
                type(exc).__name__,
                detail,
                self._cooloff,
            )

    def _found(self) -> None:
        with self._lock:
            if self._down_until is None:
                return
            self._down_until = None
            self._probing = False
        log.warning("the Redis gate at %s answers again; cool-downs are shared", self._where)

    def _touch(self, key: str) -> None:
        """Note that ``key`` is in use; forget, in the process, the buckets least
        recently used past ``LOCAL_KEYS``, and those idle for ``RECENT`` seconds."""
        now = self._timer()
        with self._lock:
            seen = self._seen
            seen[key] = now
            seen.move_to_end(key)
            gone = []
            while len(seen) > LOCAL_KEYS or next(iter(seen.values())) < now - RECENT:
                gone.append(seen.popitem(last=False)[0])
        for old in gone:
            self._local.forget(old)

    # --- the gate (see GateBackend) ------------------------------------------------

    def lost(self, key: str, now: float, sent_at: float) -> None:
        """A call that got no answer (see ``Gate.lost``): the slow start is this
        process's, and the fleet's state learns nothing from it."""
        self._local.lost(key, now, sent_at)

    def passed(self, key: str, now: float, sent_at: float) -> None:
        """A response that was not throttled (see ``Gate.passed``)."""
        self._touch(key)
        self._local.passed(key, now, sent_at)
        self._run(
            "passed",
            key,
            _none,
            repr(now - sent_at),
            repr(_gate.PROBE_STEP),
            repr(_gate.PROBE_UP),
            repr(_gate.BETA),
            repr(RECENT),
            *_recovery(),
            repr(_gate.MIN_SPACING),
            repr(_gate.FINE),
        )

    def hold(
        self,
        key: str,
        now: float,
        retry_after: float | None,
        *,
        sent_at: float,
        rate: float | None,
        closure: Closure,
        cap: float | None = None,
    ) -> None:
        """The service throttled a call: close ``key`` for the whole fleet (see
        ``Gate.hold``)."""
        self._touch(key)
        self._local.hold(
            key, now, retry_after, sent_at=sent_at, rate=rate, closure=closure, cap=cap
        )
        self._run(
            "hold",
            key,
            _none,
            "" if retry_after is None else repr(retry_after),
            repr(cap if cap is not None else _gate.MAX_HOLD),
            "" if rate is None else repr(rate),
            repr(now - sent_at),
            closure.kind.__name__,
            str(closure.status),
            closure.method,
            closure.url,
            repr(_gate.REPORT_MARGIN),
            repr(_gate.MAX_MARGIN),
            repr(_gate.BETA),
            repr(_gate.MAX_LINGER),
            repr(_gate.BARE_HOLD),
            repr(_gate.BARE_HOLD_MAX),
            repr(_gate.FIRST_PACE),
            repr(_gate.DROP),
            repr(_gate.FELL),
            *_recovery(),
            str(_gate.OUTAGE),
            repr(_gate.FINE),
            repr(_gate.FINE_MIN),
        )

    def admit(
        self,
        key: str,
        now: float,
        ticket: Ticket | None,
        deadline: float,
        arrived: float | None = None,
    ) -> Verdict:
        """May a call go now, given every process's windows and queue (see
        ``Gate.admit``)? A waiter that joined the in-process queue while Redis was
        away stays in it. The slow start is this process's (``Gate.starting``)."""
        if ticket is None or isinstance(ticket, StartTicket):
            early = self._local.starting(key, now, ticket, deadline, arrived)
            if early is not None and (early.wait or early.refused):
                return early
            if ticket is not None:  # its turn here: the fleet's queue, by arrival
                self._local.give_back(ticket)
                ticket = None
        if ticket is not None and not isinstance(ticket, _RedisTicket):
            return self._local.admit(key, now, ticket, deadline, arrived)
        member = "" if ticket is None else ticket.member
        left = "inf" if deadline == math.inf else repr(deadline - now)
        limit = min(deadline - now, _gate.MAX_HOLD)  # the script never answers more
        ago = "" if arrived is None else repr(max(now - arrived, 0.0))
        verdict: Verdict | None = self._run(
            "admit",
            key,
            lambda answer: _verdict(key, answer, limit),
            member,
            left,
            repr(LEASE),
            ago,
        )
        if verdict is None:
            return self._local.admit(key, now, None, deadline, arrived)
        return verdict

    def give_back(self, ticket: Ticket) -> None:
        """A waiter left without sending: its place is free (in Redis, or here)."""
        if isinstance(ticket, _RedisTicket):
            self._run("give_back", ticket.key, _none, ticket.member)  # else its lease ends
        else:
            self._local.give_back(ticket)

    def window(self, key: str, now: float) -> tuple[float, Closure] | None:
        """Seconds left of the fleet's window for ``key`` and what closed it."""
        answer: tuple[tuple[float, Closure] | None] | None = self._run("window", key, _window)
        return self._local.window(key, now) if answer is None else answer[0]

    def closure(self, key: str) -> Closure | None:
        """What closed ``key`` last, while the fleet's gate remembers it."""
        answer: tuple[Closure | None] | None = self._run("closure", key, _maybe_closure)
        return self._local.closure(key) if answer is None else answer[0]

    def spacing(self, key: str) -> float | None:
        """The pace the fleet is released at for ``key`` (seconds between calls)."""
        answer: tuple[float | None] | None = self._run("spacing", key, _spacing)
        return self._local.spacing(key) if answer is None else answer[0]


def _recovery() -> tuple[str, str, str]:
    return repr(_gate.RECOVER), repr(_gate.RECOVER_TIME), repr(_gate.RECOVER_MIN)


def _none(answer: object) -> bool:
    return True


def _seconds(value: object, limit: float = _gate.MAX_HOLD) -> float:
    """A duration the script answered, checked like any server input: a finite number
    from 0 to ``limit``; anything else is a failure (the gate decides in the process)."""
    seconds = float(_text(value))
    if not (0 <= seconds <= limit and math.isfinite(seconds)):  # NaN fails too
        raise ValueError(f"the gate's script answered a duration of {seconds!r} s")
    return seconds


def _verdict(key: str, answer: Sequence[object], limit: float) -> Verdict:
    what = _text(answer[0])
    if what == "go" and len(answer) == 1:
        return GO
    if what == "wait" and len(answer) == 3:
        member = _text(answer[2])
        return Verdict(
            _seconds(answer[1], limit), _RedisTicket(key, int(member.split(":")[-1]), member)
        )
    if what == "refused" and len(answer) == 2:
        # How far the slot lies past the deadline: any finite length, never negative.
        return Verdict(_seconds(answer[1], math.inf), None, refused=True)
    raise ValueError(f"unexpected answer {what[:20]!r} from the gate's script")


def _window(answer: Sequence[object]) -> tuple[tuple[float, Closure] | None]:
    if not answer:
        return (None,)
    return ((_seconds(answer[0]), _closure(answer[1:5])),)


def _maybe_closure(answer: Sequence[object]) -> tuple[Closure | None]:
    return (_closure(answer[:4]) if answer else None,)


def _spacing(answer: Sequence[object]) -> tuple[float | None]:
    return (_seconds(answer[0]) if answer else None,)
