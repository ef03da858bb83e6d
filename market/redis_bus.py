"""`core.ports.EventBus` on Redis Streams, for several processes (issue 20).

- `publish` delivers to this process's subscribers at once (as `LocalEventBus` does) and queues the
  event for one stream per kind (`finsignal:events:quote`, `...:signal`), written by a background task
  with `XADD ... MAXLEN ~ redis_stream_maxlen`. While Redis is down the queue holds up to
  `buffer_max` events (the oldest dropped beyond, counted); they are written when Redis returns.
- Each process reads every stream through its own consumer group (`consumer`, stable across restarts;
  an `ephemeral` group, for a process that has nothing to resume such as an API worker, is destroyed
  at `close()`):
  `XREADGROUP` from the group's pending entries first, then new ones, `XACK` after local delivery, so a
  consumer that restarts resumes after its last acknowledged event. Its own events are skipped (already
  delivered); every event carries a unique id so a re-published one is delivered once.
- A `sink` (`add_sink`, e.g. the bot's outbox) is awaited with each batch of its kind before the batch
  is acknowledged; while it fails (the database is down) the batch is retried with back-off, never
  acknowledged, so a crash or an outage loses nothing (the sink must be idempotent).
- Signal events stored while Redis was unreachable are re-published from the database (`set_store`):
  the stream's mark `finsignal:events:signal:published` holds the highest signal event id written;
  on start and whenever Redis returns, the stored events above it that are not buffered here go out
  first (a collector that restarted lost its buffer). At least once: the bot's outbox is idempotent.
- Connection failures never escape: both tasks back off (0.1 s doubling to 5 s) and log once per change
  of state. `connected` and `stats()` feed /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

from redis import exceptions as rexc
from redis.asyncio import Redis

from market.bus import Deliver, LocalEventBus
from market.redis_conn import Backoff, mask_url

logger = logging.getLogger(__name__)
KINDS = ("quote", "bar", "signal", "news")
Event = tuple[str, dict[str, object]]
Sink = Callable[[list[Event]], Awaitable[None]]
_DOWN = (rexc.ConnectionError, rexc.TimeoutError, OSError)
_SEEN = 50_000  # event ids remembered to drop a re-published duplicate
# the mark only grows: a re-published older event never lowers it
_MAX = """local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end
return 0"""


class SignalStore(Protocol):
    """Where the publisher's signal events are stored (the database), for re-publishing."""

    async def latest_id(self) -> int:
        """The highest stored event id (0 when none)."""
        ...

    async def events_after(self, event_id: int) -> list[Event]:
        """(topic, message) of each stored event with a higher id, oldest first."""
        ...


class RedisEventBus:
    """Construct, `await start()`, use as an EventBus, `await close()` (flushes what it can)."""

    def __init__(
        self,
        client: Redis,
        *,
        consumer: str,
        maxlen: int = 100_000,
        buffer_max: int = 10_000,
        kinds: Sequence[str] = KINDS,
        prefix: str = "finsignal:events:",
        block_ms: int = 1000,
        ephemeral: bool = False,
    ) -> None:
        self._client, self._consumer, self._maxlen = client, consumer, maxlen
        self._buffer_max, self._kinds, self._prefix = buffer_max, tuple(kinds), prefix
        self._block_ms, self._ephemeral = block_ms, ephemeral
        self._local = LocalEventBus()
        self._origin = uuid.uuid4().hex[:12]
        self._seq = itertools.count(1)
        self._outbox: deque[tuple[int, str, dict[str, str], int]] = deque()  # seq, topic, fields, signal id
        self._wake = asyncio.Event()
        self._empty = asyncio.Event()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remote: list[tuple[str, Deliver]] = []
        self._sinks: list[tuple[str, Sink]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._writer_up = self._reader_up = True
        self._drop_logged = False  # one warning per outage that overflows the buffer
        self.written = self.received = self.dropped = self.republished = 0
        self.where = mask_url(client)
        self._store: SignalStore | None = None
        self._replay_due, self._replay_after, self._replay_failing = False, -1, False
        self._replay_next = 0.0  # when a replay the database refused is tried again

    # ---- the EventBus port ---------------------------------------------------------------------

    def publish(self, topic: str, message: dict[str, object]) -> None:
        self._local.publish(topic, message)
        seq = next(self._seq)
        fields = {"topic": topic, "data": json.dumps(message, default=str), "uid": f"{self._origin}-{seq}"}
        self._enqueue(seq, topic, fields, _signal_id(topic, message))

    def _enqueue(self, seq: int, topic: str, fields: dict[str, str], signal_id: int) -> None:
        if len(self._outbox) >= self._buffer_max:
            self._drop_one()
            if not self._drop_logged:
                self._drop_logged = True
                logger.warning("redis event buffer full (%d): dropping the oldest events", self._buffer_max)
            self.dropped += 1
        self._outbox.append((seq, topic, fields, signal_id))
        self._empty.clear()
        self._wake.set()

    def _drop_one(self) -> None:
        """The oldest event that a newer one supersedes (a quote, a bar) goes first; a signal or a news
        item only when nothing else is left."""
        for i, (_, topic, _, _) in enumerate(self._outbox):
            if not topic.startswith(("signal:", "news:")):
                del self._outbox[i]
                return
        self._outbox.popleft()

    def subscribe(self, topics: Iterable[str], deliver: Deliver) -> int:
        return self._local.subscribe(topics, deliver)

    def unsubscribe(self, subscription: int) -> None:
        self._local.unsubscribe(subscription)

    def subscribers(self, topic: str) -> int:
        return self._local.subscribers(topic)

    def on_remote(self, kind: str, callback: Callable[[str, dict[str, object]], None]) -> None:
        """Also call `callback(topic, message)` for each event of `kind` from another process (before
        local subscribers: the L1 quote cache drops its copy there)."""
        self._remote.append((kind, callback))

    def add_sink(self, kind: str, sink: Sink) -> None:
        """Await `sink(events)` for each batch of `kind` from other processes before acknowledging it."""
        self._sinks.append((kind, sink))

    def set_store(self, store: SignalStore) -> None:
        """Re-publish `store`'s signal events that Redis missed: now, and whenever Redis returns."""
        self._store = store
        self._replay_due, self._replay_after = True, -1
        self._wake.set()

    async def mark(self) -> int | None:
        """The highest signal event id the stream holds, as Redis has it (None: no mark, or down)."""
        with contextlib.suppress(*_DOWN):
            raw = await self._client.get(self._mark)
            return None if raw is None else int(raw)
        return None

    # ---- state ---------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._writer_up and self._reader_up

    def stats(self) -> dict[str, Any]:
        return {
            "state": "ok" if self.connected else "degraded",
            "buffered": len(self._outbox),
            "written": self.written,
            "received": self.received,
            "dropped": self.dropped,
            "republished": self.republished,
        }

    async def start(self, *, read: bool = True) -> None:
        """Create the consumer groups now when Redis answers (events published from here on are this
        process's to read), then run the writer and (unless `read=False`: see `start_reading`) the
        reader; never fails on an outage."""
        with contextlib.suppress(*_DOWN):  # else the reader creates them when Redis answers
            await self._ensure_groups("$")
        self._tasks = [asyncio.create_task(self._write_loop(), name="redis-bus-writer")]
        if read:
            self.start_reading()

    def start_reading(self) -> None:
        """Start the reader (once): after the hooks and sinks that must see every event are added."""
        if not any(t.get_name() == "redis-bus-reader" for t in self._tasks):
            self._tasks.append(asyncio.create_task(self._read_loop(), name="redis-bus-reader"))

    async def close(self, flush_s: float = 2.0) -> None:
        """Write what is buffered (up to `flush_s` seconds), stop both tasks, close the client."""
        if self._outbox and self._writer_up and self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._empty.wait(), flush_s)
        if self._outbox:
            logger.warning("redis event bus closing with %d events not written", len(self._outbox))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._ephemeral:  # a per-process group (API workers): nothing to resume, so nothing left behind
            with contextlib.suppress(*_DOWN, rexc.ResponseError):
                for kind in self._kinds:
                    await self._client.xgroup_destroy(self._stream(kind), self._consumer)
        await self._client.aclose()

    # ---- writing -------------------------------------------------------------------------------

    def _stream(self, kind: str) -> str:
        return f"{self._prefix}{kind}"

    async def _write_loop(self) -> None:
        backoff = Backoff()
        while True:
            if self._replay_due and time.monotonic() >= self._replay_next:
                try:
                    await self._replay()
                except (*_DOWN, rexc.ResponseError) as exc:
                    self._writer_state(False, exc)
                    await asyncio.sleep(backoff.next())
                    continue
            if not self._outbox:
                self._empty.set()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):  # a replay the database refused: tried again
                    await asyncio.wait_for(self._wake.wait(), 5.0 if self._replay_due else None)
                continue
            batch = list(itertools.islice(self._outbox, 0, 500))
            mark = max(sid for *_, sid in batch)
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for _, topic, fields, _ in batch:
                        stream = self._stream(topic.partition(":")[0])
                        pipe.xadd(stream, fields, maxlen=self._maxlen, approximate=True)  # type: ignore[arg-type]
                    if mark > 0:
                        pipe.eval(_MAX, 1, self._mark, str(mark))
                    await pipe.execute()
            except (*_DOWN, rexc.ResponseError) as exc:  # down, or refusing writes (maxmemory): keep them
                self._writer_state(False, exc)
                await asyncio.sleep(backoff.next())
                continue
            last = batch[-1][0]
            while self._outbox and self._outbox[0][0] <= last:  # the buffer may have dropped some meanwhile
                self._outbox.popleft()
            self.written += len(batch)
            backoff.reset()
            self._writer_state(True)

    @property
    def _mark(self) -> str:
        return self._stream("signal") + ":published"

    async def _replay(self) -> None:
        """The stored signal events above the stream's mark (as it was when Redis came back) that are
        not buffered here go to the front of the buffer. A database error leaves it due (retried)."""
        assert self._store is not None
        if self._replay_after < 0:
            raw = await self._client.get(self._mark)
            if raw is None:  # a new stream (or Redis lost its data): from what is stored now on
                try:
                    latest = await self._store.latest_id()
                except Exception as exc:
                    self._replay_failed(exc)
                    return
                await self._client.set(self._mark, str(latest), nx=True)
                self._replay_due = False
                return
            self._replay_after = int(raw)
        try:
            stored = await self._store.events_after(self._replay_after)
        except Exception as exc:
            self._replay_failed(exc)
            return
        buffered = {sid for *_, sid in self._outbox if sid}
        missing = [(t, m) for t, m in stored if _signal_id(t, m) not in buffered]
        first = self._outbox[0][0] if self._outbox else next(self._seq)
        for n, (topic, message) in enumerate(reversed(missing), start=1):
            data, uid = json.dumps(message, default=str), f"{self._origin}-r{first}-{n}"
            fields = {"topic": topic, "data": data, "uid": uid}
            self._outbox.appendleft((first - n, topic, fields, _signal_id(topic, message)))
        if missing:
            self._empty.clear()
            self.republished += len(missing)
            logger.warning("re-publishing %d stored signal events that redis missed", len(missing))
        if self._replay_failing:
            logger.warning("signal events re-read from the database again")
        self._replay_due, self._replay_after, self._replay_failing = False, -1, False

    def _replay_failed(self, exc: BaseException) -> None:
        self._replay_next = time.monotonic() + 5.0  # the database is down: writing goes on meanwhile
        if not self._replay_failing:
            logger.warning("stored signal events not re-read (%s): retrying", exc)
        self._replay_failing = True

    def _writer_state(self, up: bool, exc: BaseException | None = None) -> None:
        if up == self._writer_up:
            return
        self._writer_up = up
        if not up and self._store is not None:  # what the buffer loses meanwhile is re-read on return
            self._replay_due, self._replay_after = True, -1
        if up:
            self._drop_logged = False
            logger.warning(
                "redis %s is back: writing events again (%d dropped while down)", self.where, self.dropped
            )
        else:
            logger.warning(
                "redis %s unreachable (%s): buffering events (at most %d)", self.where, exc, self._buffer_max
            )

    # ---- reading -------------------------------------------------------------------------------

    async def _ensure_groups(self, start_id: str) -> None:
        for kind in self._kinds:
            try:
                await self._client.xgroup_create(
                    self._stream(kind), self._consumer, id=start_id, mkstream=True
                )
            except rexc.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _read_loop(self) -> None:
        backoff = Backoff()
        start_id = "$"  # a new group starts at the end; a group lost with Redis's data restarts at "0"
        while True:
            try:
                await self._ensure_groups(start_id)
                await self._drain(pending=True)
                self._reader_state(True)
                backoff.reset()
                while True:
                    await self._drain(pending=False)
            except rexc.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    logger.warning("redis consumer group %s gone (data lost?): recreating it", self._consumer)
                    start_id = "0"
                    continue
                self._reader_state(False, exc)  # e.g. a server refusing commands: retried, never fatal
                await asyncio.sleep(backoff.next())
            except _DOWN as exc:
                self._reader_state(False, exc)
                await asyncio.sleep(backoff.next())

    async def _drain(self, *, pending: bool) -> None:
        """Pending (delivered, unacknowledged) entries until none are left; else one blocking read."""
        streams: dict[Any, Any] = {self._stream(kind): "0" if pending else ">" for kind in self._kinds}
        while True:
            reply: Any = await self._client.xreadgroup(
                self._consumer, self._consumer, streams, count=500, block=None if pending else self._block_ms
            )  # type: ignore[arg-type]
            got = 0
            for stream, entries in reply or []:
                delivered = [e for e in (self._deliver(fields) for _, fields in entries) if e is not None]
                if delivered and self._sinks:
                    await self._sink(delivered)
                if entries:
                    await self._client.xack(stream, self._consumer, *[entry_id for entry_id, _ in entries])
                got += len(entries)
            if not pending or got == 0:
                return

    async def _sink(self, events: list[Event]) -> None:
        """Hand `events` to the sinks of their kind; retried with back-off until every sink took them."""
        backoff, failing = Backoff(), False
        for kind, sink in self._sinks:
            batch = [e for e in events if e[0].partition(":")[0] == kind]
            while batch:
                try:
                    await sink(batch)
                except Exception as exc:
                    if not failing:
                        logger.warning("redis event sink for %s failed (%s): retrying", kind, exc)
                    failing = True
                    await asyncio.sleep(backoff.next())
                    continue
                if failing:
                    logger.warning("redis event sink for %s works again", kind)
                    failing = False
                break

    def _deliver(self, fields: dict[str, str] | None) -> Event | None:
        if not fields or "topic" not in fields:
            return None  # trimmed away while pending
        uid = fields.get("uid", "")
        if uid.startswith(self._origin) or uid in self._seen:
            return None
        self._seen[uid] = None
        if len(self._seen) > _SEEN:
            self._seen.popitem(last=False)
        topic = fields["topic"]
        try:
            message = json.loads(fields["data"])
        except (KeyError, ValueError):
            logger.warning("redis event on %s is not JSON: skipped", topic)
            return None
        self.received += 1
        kind = topic.partition(":")[0]
        for wanted, callback in self._remote:
            if wanted == kind:
                try:
                    callback(topic, message)
                except Exception:
                    logger.exception("redis event hook failed on %s", topic)
        self._local.publish(topic, message)
        return topic, message

    def _reader_state(self, up: bool, exc: BaseException | None = None) -> None:
        if up == self._reader_up:
            return
        self._reader_up = up
        if up:
            logger.warning("redis %s is back: consumer %s reading events again", self.where, self._consumer)
        else:
            logger.warning("redis %s unreachable (%s): consumer %s retrying", self.where, exc, self._consumer)


def _signal_id(topic: str, message: dict[str, object]) -> int:
    """A signal event's stored id (0 for other events or an unstored one)."""
    if not topic.startswith("signal:"):
        return 0
    value = message.get("id")
    return value if isinstance(value, int) and value > 0 else 0
