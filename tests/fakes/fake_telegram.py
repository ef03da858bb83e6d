"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests (no internet).

Serves getMe, getUpdates (long polling; push updates with `push_*`), sendMessage, sendPhoto,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, setMyCommands, getMyCommands,
deleteWebhook, getChatMember and friends. Records every request (`requests`) and every accepted
message (`sent`). Enforces Telegram's limits on sends -- at most `overall_per_s` in any 1 s window,
one message per `per_chat_interval_s` per chat, `group_per_min` per group/channel in any 60 s;
a send with `allow_paid_broadcast` is not counted against `overall_per_s` but against `paid_per_s`
(1,000: Telegram's paid broadcast), which counts every send --
by answering 429 with retry_after (each such refusal is also recorded in `violations`). Injects
faults on demand (`inject`: 429, 403, migrate, drop the connection) and can treat chats as blocked.

Usage::

    async with FakeTelegram() as tg:
        app = build_application(Settings(telegram_token=tg.token, telegram_base_url=tg.base_url, ...))
        tg.push_message(chat_id=42, text="/start")
        await tg.wait_for(lambda: tg.sent_to(42))
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.fakes.telegram_payloads import (
    ADMIN_RIGHTS,
    BOT_ID,
    BOT_USERNAME,
    bot_user,
    callback_query_dict,
    chat_dict,
    error,
    member_dict,
    message_dict,
    user_dict,
)

SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})
__all__ = ["BOT_ID", "BOT_USERNAME", "FakeTelegram", "Fault", "Recorded", "Sent", "message_dict"]


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Sent:
    """One message the server accepted."""

    method: str
    chat_id: int
    message_id: int
    text: str
    params: dict[str, Any]
    at: float

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        raw = self.params.get("reply_markup")
        return json.loads(raw) if isinstance(raw, str) else raw


@dataclass
class Fault:
    """An injected failure: `kind` in 429 | 403 | 500 | migrate | drop; `count` times for `method`
    (and chat)."""

    kind: str
    method: str = "sendMessage"
    chat_id: int | None = None
    count: int = 1
    retry_after: int = 1
    new_chat_id: int = 0


@dataclass
class FakeTelegram:
    """The fake server. Limits default to Telegram's; tests may scale them (e.g. 300/s) to run fast."""

    token: str = "123456:TEST-token"
    overall_per_s: float = 30
    paid_per_s: float = 1000  # sends with allow_paid_broadcast (and all sends together) in any 1 s
    per_chat_interval_s: float = 1.0
    group_per_min: int = 20
    group_window_s: float = 60.0  # the group limit's window (scaled down in fast tests)
    tolerance_s: float = 0.05  # network jitter allowed on the per-chat spacing
    max_hold_s: float = 0.5  # longest a getUpdates call is held open
    rtt_s: float = 0.0  # network round trip played on sends: half before one is handled, half after
    requests: list[Recorded] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    group_admins: dict[int, set[int]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    on_sent: Callable[[Sent], None] | None = None  # called as each message is accepted

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._window: deque[float] = deque()  # free sends
        self._all: deque[float] = deque()  # every send (the paid-broadcast limit)
        self._last_per_chat: dict[int, float] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._server: tornado.httpserver.HTTPServer | None = None
        self._closing = False
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = tornado.web.Application(
            [(r"/bot([^/]+)/(\w+)", _Handler, {"fake": self})], log_function=lambda handler: None
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # release held getUpdates calls
        await asyncio.sleep(0.05)
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- what tests look at -------------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def count_429(self) -> int:
        return sum(1 for r in self.requests if r.status == 429)

    async def wait_for(self, predicate: Callable[[], object], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.01)

    def inject(self, kind: str, method: str = "sendMessage", **kw: Any) -> None:
        self.faults.append(Fault(kind, method, **kw))

    # ---- updates --------------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        return int(update["update_id"])

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "en",
        title: str = "Group",
    ) -> int:
        return self.push_update(
            {"message": message_dict(chat_id, text, user_id, chat_type, language_code, title)}
        )

    def push_channel_post(self, chat_id: int, text: str) -> int:
        msg = message_dict(chat_id, text, None, "channel", "en", "Channel")
        msg.pop("from", None)
        msg["sender_chat"] = msg["chat"]
        return self.push_update({"channel_post": msg})

    def push_callback(
        self, chat_id: int, data: str, *, user_id: int | None = None, message_id: int = 1
    ) -> int:
        cq = callback_query_dict(
            chat_id, data, f"cq{next(self._message_ids)}", user_id=user_id or chat_id, message_id=message_id
        )
        return self.push_update({"callback_query": cq})

    def push_my_chat_member(self, chat_id: int, old: str, new: str, *, chat_type: str = "private") -> int:
        member = {
            "chat": chat_dict(chat_id, chat_type, "Group"),
            "from": user_dict(abs(chat_id)),
            "date": int(time.time()),
            "old_chat_member": member_dict(old),
            "new_chat_member": member_dict(new),
        }
        return self.push_update({"my_chat_member": member})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and not self._closing:
            self._new_update.clear()
            hold = min(float(params.get("timeout", 0) or 0), self.max_hold_s)
            if hold > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), hold)
        limit = int(params.get("limit", 100) or 100)
        return self._updates[:limit]

    # ---- limits and faults ----------------------------------------------------------------------
    def _fault_for(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.count > 0 and fault.chat_id in (None, chat_id):
                fault.count -= 1
                return fault
        return None

    def _limit_error(self, chat_id: int, now: float, paid: bool = False) -> str | None:
        for window in (self._window, self._all):
            while window and window[0] <= now - 1.0:
                window.popleft()
        if not paid and len(self._window) >= self.overall_per_s:
            return f"overall: {len(self._window) + 1} sends within 1 s"
        if len(self._all) >= self.paid_per_s:
            return f"paid broadcast: {len(self._all) + 1} sends within 1 s"
        last = self._last_per_chat.get(chat_id)
        if last is not None and now - last < self.per_chat_interval_s - self.tolerance_s:
            return f"chat {chat_id}: two sends {now - last:.3f} s apart"
        if chat_id < 0:
            win = self._group_windows.setdefault(chat_id, deque())
            while win and win[0] <= now - self.group_window_s:
                win.popleft()
            if len(win) >= self.group_per_min:
                return f"group {chat_id}: {len(win) + 1} sends within {self.group_window_s:g} s"
        return None

    def _accept(self, chat_id: int, now: float, paid: bool = False) -> None:
        if not paid:
            self._window.append(now)
        self._all.append(now)
        self._last_per_chat[chat_id] = now
        if chat_id < 0:
            self._group_windows.setdefault(chat_id, deque()).append(now)

    def _send(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        now = time.monotonic()
        if chat_id in self.blocked:
            return 403, error(403, "Forbidden: bot was blocked by the user")
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        problem = self._limit_error(chat_id, now, paid)
        if problem is not None:
            self.violations.append(problem)
            return 429, error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._accept(chat_id, now, paid)
        message_id = next(self._message_ids)
        text = str(params.get("text") or params.get("caption") or "")
        record = Sent(method, chat_id, message_id, text, params, now)
        self.sent.append(record)
        if self.on_sent is not None:
            self.on_sent(record)
        msg: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat_dict(chat_id, "private" if chat_id > 0 else "supergroup", "Group"),
            "from": bot_user(),
        }
        if method == "sendPhoto":
            msg["photo"] = [
                {"file_id": f"p{message_id}", "file_unique_id": f"u{message_id}", "width": 1, "height": 1}
            ]
            msg["caption"] = text
        else:
            msg["text"] = text
        return 200, {"ok": True, "result": msg}

    async def handle(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        """The answer to one Bot API call; None means drop the connection."""
        if token != self.token:
            return 401, error(401, "Unauthorized")
        chat_id = _int_or_none(params.get("chat_id"))
        fault = self._fault_for(method, chat_id)
        if fault is not None:
            if fault.kind == "drop":
                return None
            if fault.kind == "429":
                desc = f"Too Many Requests: retry after {fault.retry_after}"
                return 429, error(429, desc, {"retry_after": fault.retry_after})
            if fault.kind == "403":
                return 403, error(403, "Forbidden: bot was blocked by the user")
            if fault.kind == "500":
                return 500, error(500, "Internal Server Error")
            if fault.kind == "migrate":
                return 400, error(
                    400, "Bad Request: group chat was upgraded", {"migrate_to_chat_id": fault.new_chat_id}
                )
        if method in SEND_METHODS:
            return self._send(method, params)
        return 200, {"ok": True, "result": await self._other(method, params)}

    async def _other(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                **bot_user(),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setMyCommands":
            self.commands[str(params.get("language_code", ""))] = json.loads(params["commands"])
            return True
        if method == "getMyCommands":
            return self.commands.get(str(params.get("language_code", "")), [])
        if method == "getChatMember":
            user_id, chat_id = int(params["user_id"]), int(params["chat_id"])
            status = "administrator" if user_id in self.group_admins.get(chat_id, set()) else "member"
            member: dict[str, Any] = {"status": status, "user": user_dict(user_id)}
            return {**member, **ADMIN_RIGHTS} if status == "administrator" else member
        if method in ("editMessageText", "editMessageReplyMarkup"):
            chat_id = int(params.get("chat_id", 0))
            return {
                "message_id": int(params.get("message_id", 1)),
                "date": int(time.time()),
                "chat": chat_dict(chat_id, "private" if chat_id > 0 else "supergroup", "Group"),
                "text": str(params.get("text", "")),
            }
        return True  # deleteWebhook, answerCallbackQuery, close, logOut, setWebhook ...


class _Handler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    def check_xsrf_cookie(self) -> None:
        return None

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        params = self._params()
        delay = self.fake.rtt_s / 2 if method in SEND_METHODS else 0.0
        if delay:
            await asyncio.sleep(delay)
        record = Recorded(method, params, time.monotonic())
        self.fake.requests.append(record)
        answer = await self.fake.handle(token, method, params)
        if delay:
            await asyncio.sleep(delay)
        if answer is None:
            record.status = 0
            self.detach().close()  # drop the connection: the client sees a network error
            return
        record.status, body = answer
        self.set_status(record.status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def _params(self) -> dict[str, Any]:
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.startswith("application/json") and self.request.body:
            return dict(json.loads(self.request.body))
        params: dict[str, Any] = {k: v[0].decode() for k, v in self.request.arguments.items()}
        for name, files in self.request.files.items():
            params[name] = files[0]["body"]
        return params


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
