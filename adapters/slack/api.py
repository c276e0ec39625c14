"""Talking to the Slack Web API: clients on one shared session, 429 handling, errors in words.

Two clients share one aiohttp session (one connection pool for every Web API call):

* ``interactive``: answers to what a student just did. A 429 is retried after ``Retry-After``
  (up to :data:`MAX_RETRY_AFTER` seconds), so the answer still arrives.
* ``background``: reminders. A 429 is *not* slept on here: it becomes a
  :class:`~bot.reminders.delivery.DeliveryError` with ``retry_after``, and the reminder engine reschedules
  the reminder in its database, so nothing waits in memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.reminders.delivery import DeliveryError

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 30.0  # longer waits are not worth holding an answer for: the error is reported
DEFAULT_RETRY_AFTER = 5.0
API_TIMEOUT = 15

Sleep = Callable[[float], Awaitable[None]]
API_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)  # what a Web API call can raise

# errors after which a direct message to that user cannot work until something changes on Slack's side
PERMANENT_DM_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "messages_tab_disabled",
        "not_in_channel",
        "user_disabled",
        "user_not_found",
        "users_not_found",
        "user_is_bot",
    }
)
# the app's credentials or permissions: the office must act, the student cannot
SETUP_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope"})


def retry_after(headers: object) -> float | None:
    """The ``Retry-After`` header in seconds, if present and sensible."""
    value = None
    items = getattr(headers, "items", None)
    if callable(items):
        for key, raw in items():
            if str(key).lower() == "retry-after":
                value = raw[0] if isinstance(raw, list | tuple) and raw else raw
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return max(0.0, seconds)


class RetryAfterHandler(AsyncRetryHandler):
    """Retries a rate-limited (429) call after the ``Retry-After`` Slack asked for.

    Unlike slack_sdk's built-in handler it reads fractional values, adds no random delay, and gives
    up (letting the 429 surface) when Slack asks for more than ``max_wait`` seconds.
    """

    def __init__(
        self, max_retry_count: int = 2, max_wait: float = MAX_RETRY_AFTER, sleep: Sleep = asyncio.sleep
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return (wait if wait is not None else DEFAULT_RETRY_AFTER) <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Sleep for the ``Retry-After`` Slack gave, then ask for another attempt."""
        wait = retry_after(response.headers) if response is not None else None
        wait = DEFAULT_RETRY_AFTER if wait is None else wait
        log.info("slack_rate_limited", extra={"retry_after": wait, "attempt": state.current_attempt + 1})
        state.next_attempt_requested = True
        await self.sleep(wait)
        state.increment_current_attempt()


def make_client(session: aiohttp.ClientSession, base_url: str, token: str | None, *, retry_429: bool) -> AsyncWebClient:
    """A Web API client on the shared ``session`` (``token`` None: Bolt supplies it per request)."""
    handlers: list[AsyncRetryHandler] = [AsyncConnectionErrorRetryHandler()]
    if retry_429:
        handlers.append(RetryAfterHandler())
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        session=session,
        timeout=API_TIMEOUT,
        retry_handlers=handlers,
    )


_RETRIED_CONNECTION_ERRORS = (aiohttp.ServerConnectionError, aiohttp.ClientOSError)  # as the SDK's handler


async def post_json(client: AsyncWebClient, method: str, args: dict[str, Any]) -> dict[str, Any]:
    """A JSON Web API call (``chat.postMessage``) on ``client``'s session, without the SDK's request machinery.

    The answer path's one call per reply: the body is encoded once and posted straight to the
    session, and a clean ``ok`` answer is returned as it came (about a third of the SDK's CPU per
    call). Everything else behaves as the SDK client would, because it *is* the SDK client: a 429
    on a client that waits out rate limits (:class:`RetryAfterHandler`) waits as it would and then
    calls through the SDK; a connection that failed before any answer is retried once through the
    SDK (its connection-error handler's rule). An error answer raises :class:`SlackApiError` with
    Slack's response, as the SDK does; a 429 on a client that does not wait raises it too, with the
    ``Retry-After`` header (the reminder engine reschedules). ``args`` may hold ``token``
    (a workspace's own, OAuth mode); None values are left out, as the SDK does. With the SDK's
    logger at DEBUG every call goes through the SDK, so its request and response lines are logged.
    """
    token = args.get("token") or client.token
    body = {k: v for k, v in args.items() if v is not None and k != "token"}
    session = client.session
    if session is None or session.closed or client.logger.isEnabledFor(logging.DEBUG):
        return await _through_sdk(client, method, body, token)
    url = client.base_url + method
    headers = {**client.headers, "Content-Type": "application/json;charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with session.post(
            url, data=json.dumps(body).encode(), headers=headers, timeout=aiohttp.ClientTimeout(total=client.timeout)
        ) as resp:
            status, answer_headers = resp.status, resp.headers
            try:
                data = await resp.json(content_type=None) if status != 429 else None
            except ValueError:  # not JSON (a proxy's error page): Slack's error below, as the SDK raises
                data = None
    except _RETRIED_CONNECTION_ERRORS:
        return await _through_sdk(client, method, body, token)
    if status == 200 and isinstance(data, dict) and data.get("ok"):
        return data
    # (a clean answer returned above: the handler is looked for only on an error answer)
    handler = next((h for h in client.retry_handlers if isinstance(h, RetryAfterHandler)), None)
    if status == 429 and handler is not None:
        wait = retry_after(answer_headers)
        wait = DEFAULT_RETRY_AFTER if wait is None else wait
        if wait <= handler.max_wait:
            log.info("slack_rate_limited", extra={"retry_after": wait, "attempt": 1})
            await handler.sleep(wait)
            return await _through_sdk(client, method, body, token)
    response = AsyncSlackResponse(
        client=client,
        http_verb="POST",
        api_url=url,
        req_args={},
        data=data if isinstance(data, dict) else {"ok": False, "error": "ratelimited" if status == 429 else ""},
        headers=dict(answer_headers),
        status_code=status,
    )
    raise SlackApiError(f"The request to the Slack API failed. (url: {url}, status: {status})", response)


async def _through_sdk(client: AsyncWebClient, method: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    """The same call through the SDK client (its retry handlers and errors)."""
    args = {**body, "token": token} if token else dict(body)
    return dict((await client.api_call(method, json=args)).data or {})  # type: ignore[arg-type]


def error_code(exc: BaseException) -> str:
    """Slack's short error code (``channel_not_found``), or the exception's type for network trouble."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        if isinstance(data, dict) and data.get("error"):
            return str(data["error"])
        status = getattr(exc.response, "status_code", None)
        return "ratelimited" if status == 429 else f"http_{status}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


def delivery_error(exc: BaseException) -> DeliveryError:
    """A failed Web API call as the reminder engine's DeliveryError (permanent, or retry later)."""
    code = error_code(exc)
    if isinstance(exc, SlackApiError) and getattr(exc.response, "status_code", None) == 429:
        wait = retry_after(getattr(exc.response, "headers", {}))
        return DeliveryError(f"Slack rate limit ({code})", retry_after=DEFAULT_RETRY_AFTER if wait is None else wait)
    if code in PERMANENT_DM_ERRORS:
        return DeliveryError(f"Slack direct messages unavailable ({code})", permanent=True)
    if code in SETUP_ERRORS:
        return DeliveryError(f"Slack app set-up problem ({code})")
    if isinstance(exc, SlackApiError):
        return DeliveryError(f"Slack error ({code})")
    return DeliveryError(f"Slack unreachable ({code})")


def helpful_sentence(code: str) -> str:
    """What to tell the student when Slack refused to let the bot answer where they asked."""
    if code in {"not_in_channel", "channel_not_found"}:
        return (
            "I couldn't answer in that channel because I'm not a member of it. "
            "Invite me with `/invite @SecondRound`, or ask me here in our direct messages."
        )
    if code == "is_archived":
        return "I couldn't answer in that channel because it is archived. Ask me here in our direct messages."
    if code == "missing_scope":
        return (
            "I couldn't answer there: this Slack app is missing a permission it needs. "
            "Please ask your workspace admin to reinstall SecondRound from its manifest."
        )
    if code == "expired_url":
        return "That message has expired, so I couldn't answer from it. Please ask me again."
    if code in {"ratelimited", "timeout"}:
        return "Slack is busy and I couldn't answer just now. Please try again in a minute."
    if code in {"restricted_action", "not_allowed", "cant_post", "channel_is_restricted"}:
        return "This workspace doesn't let me post there. Ask me here in our direct messages instead."
    return f"Slack wouldn't let me answer there ({code}). Please try again, or ask me in our direct messages."
