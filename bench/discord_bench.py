"""Messages per second and reply latency through the Discord adapter, next to a bare echo bot.

Usage: python -m bench.discord_bench [--messages 1000] [--concurrency 8] [--users 200]

Both bots run in this process against the local Discord stand-in (tests/standins/discord.py), one
after the other, on the same event loop and the same machine:

* **bare**: a discord.py ``AutoShardedClient`` with the adapter's intents that answers every DM by
  echoing it (the floor: gateway in, REST out, nothing else);
* **adapter**: ``secondround``'s :class:`~adapters.discord.DiscordAdapter` with the whole core behind
  it (event de-duplication, understanding, a fresh SQLite database, rendering).

Members (``--users`` of them) write coaching questions by DM. Latency is the time from the stand-in
sending ``MESSAGE_CREATE`` to it receiving the bot's first reply message; it is measured one
message at a time (nothing else in flight). Throughput sends ``--messages`` with ``--concurrency``
in flight (each from a different member) and counts answered messages per second. The adapter's
slash-command latency (``/coach ask``, to the interaction callback) is printed too. The last line
gives adapter/bare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import discord

from adapters.discord import DiscordAdapter
from adapters.discord.adapter import configure_endpoints, intents
from adapters.discord.plugin import DiscordSettings
from bench.core_bench import COACHING
from bot.common.settings import load_settings
from bot.ops.app import App
from bot.ops.runtime import Runtime
from tests.standins.discord import DiscordStandIn, Message, User

QUESTIONS = COACHING[:8]  # the same questions the core benchmark times


@dataclass
class Figures:
    """One bot's measurements."""

    name: str
    latencies: list[float]
    rate: float
    slash: list[float] | None = None

    def line(self) -> str:
        """Median and p99 latency in ms, and messages per second."""
        med, p99 = stats(self.latencies)
        text = f"{self.name:8s} DM reply latency median {med:7.2f} ms  p99 {p99:7.2f} ms"
        text += f"  throughput {self.rate:8.1f} msg/s"
        if self.slash:
            s_med, s_p99 = stats(self.slash)
            text += f"   /coach ask: median {s_med:.2f} ms, p99 {s_p99:.2f} ms"
        return text


def stats(values: list[float]) -> tuple[float, float]:
    """Median and 99th percentile, in milliseconds."""
    q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
    return statistics.median(values) * 1000, q[98] * 1000


class Replies:
    """Futures for "the bot answered in this DM channel", fed by the stand-in."""

    def __init__(self, standin: DiscordStandIn) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}
        standin.listeners.append(self._seen)

    def _seen(self, message: Message) -> None:
        future = self.waiting.pop(message.channel_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    def expect(self, channel_id: int) -> asyncio.Future[float]:
        """A future resolved with the arrival time of the bot's next message in ``channel_id``."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[channel_id] = future
        return future


async def one(standin: DiscordStandIn, replies: Replies, user: User, text: str) -> float:
    """Send one DM and wait for the first reply; returns the seconds it took."""
    arrived = replies.expect(standin.dm_channel(user))
    start = time.perf_counter()
    await standin.message(user, text)
    return await asyncio.wait_for(arrived, 30) - start


async def measure(standin: DiscordStandIn, name: str, messages: int, concurrency: int, users: int) -> Figures:
    """Latency one at a time, then throughput with ``concurrency`` in flight."""
    replies = Replies(standin)
    people = [standin.user(f"{name}{n}") for n in range(users)]
    texts = itertools.cycle(QUESTIONS)
    for person in people[:20]:  # warm-up: caches, first connections, the DM channels
        await one(standin, replies, person, next(texts))
    latencies = [await one(standin, replies, people[n % users], next(texts)) for n in range(min(messages, 500))]

    queue = iter(range(messages))
    per_worker = max(1, users // concurrency)

    async def worker(offset: int) -> None:  # each worker writes as its own members: one message each in flight
        for k, _ in enumerate(queue):
            person = people[(offset + concurrency * (k % per_worker)) % users]
            await one(standin, replies, person, next(texts))

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    rate = messages / (time.perf_counter() - start)
    return Figures(name, latencies, rate)


async def bare(standin: DiscordStandIn, args: argparse.Namespace) -> Figures:
    """The echo bot: the least any discord.py bot does per message."""
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    client = discord.AutoShardedClient(
        intents=intents(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_messages=None,
        member_cache_flags=discord.MemberCacheFlags.none(),
        guild_ready_timeout=0.05,
    )

    @client.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            await message.channel.send(message.content, allowed_mentions=discord.AllowedMentions.none())

    context = configure_endpoints(client, standin.api_url, standin.gateway_url)
    await client.login(standin.token)
    runner = asyncio.create_task(client.connect(), context=context)
    await client.wait_until_ready()
    try:
        return await measure(standin, "bare", args.messages, args.concurrency, args.users)
    finally:
        await client.close()
        await runner


async def adapter(standin: DiscordStandIn, args: argparse.Namespace) -> Figures:
    """secondround on Discord, the whole core behind it."""
    data = Path(tempfile.mkdtemp(prefix="discord-bench-"))
    settings = load_settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'bench.db'}",
        health_addr="",
        flood_messages=1_000_000,
    )
    discord_settings = DiscordSettings(
        DISCORD_TOKEN=standin.token,
        SECONDROUND_DISCORD_API_URL=standin.api_url,
        SECONDROUND_DISCORD_GATEWAY_URL=standin.gateway_url,
    )
    app = App.build(settings)
    runtime = Runtime(app, health=False, reminders=False)
    bot = DiscordAdapter(runtime, guild_ready_timeout=0.05, settings=discord_settings)
    runtime.add(bot)
    await runtime.start()
    try:
        figures = await measure(standin, "adapter", args.messages, args.concurrency, args.users)
        figures.slash = await slash_latencies(standin, min(args.messages, 300))
        return figures
    finally:
        await runtime.stop()
        app.close()


async def slash_latencies(standin: DiscordStandIn, count: int) -> list[float]:
    """``/coach ask`` in the server, one at a time: dispatch to the interaction callback."""
    channel = standin.guild_channel[standin.guild_id]
    texts = itertools.cycle(QUESTIONS)
    out = []
    for n in range(count):
        user = standin.user(f"slash{n % 50}")
        start = time.perf_counter()
        ix = await standin.slash(user, "coach ask", channel_id=channel, question=next(texts))
        await standin.wait_for(lambda ix=ix: ix.callbacks, timeout=30)  # type: ignore[misc]
        out.append(time.perf_counter() - start)
    return out


async def run(args: argparse.Namespace) -> None:
    """Both bots, same stand-in, same run."""
    results = []
    runners: list[Callable[[DiscordStandIn, argparse.Namespace], Awaitable[Figures]]] = [bare, adapter]
    for runner in runners:
        standin = DiscordStandIn()
        await standin.start()
        try:
            results.append(await runner(standin, args))
        finally:
            await standin.stop()
    base, ours = results
    for figures in results:
        print(figures.line())
    b_med, b_p99 = stats(base.latencies)
    o_med, o_p99 = stats(ours.latencies)
    print(
        f"ratio adapter/bare: latency median x{o_med / b_med:.1f}, p99 x{o_p99 / b_p99:.1f}; "
        f"throughput x{ours.rate / base.rate:.2f} ({ours.rate:.0f} vs {base.rate:.0f} msg/s)"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="messages in the throughput run (default 1000)")
    parser.add_argument("--concurrency", type=int, default=8, help="messages in flight (default 8)")
    parser.add_argument("--users", type=int, default=200, help="distinct members writing (default 200)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # with the stand-in on the same loop a heartbeat ack can beat discord.py's own bookkeeping, which
    # it then reports as "Can't keep up … 41 s behind": a measuring artefact, not a delay
    logging.getLogger("discord.gateway").setLevel(logging.ERROR)
    started = time.perf_counter()
    asyncio.run(run(args))
    seconds = time.perf_counter() - started
    print(f"(whole run {seconds:.1f} s, python {sys.version.split()[0]}, discord.py {discord.__version__})")


if __name__ == "__main__":
    main()
