"""Prometheus metrics for one running bot (``/metrics``), all named ``secondround_*``.

Each :class:`Metrics` has its own registry (not prometheus-client's global one), so several runtimes
in one process (tests, benchmarks) never collide. It is fed by the core's observers, never by
polling: :meth:`Metrics.on_handled` by ``coach.observers`` (worker threads), :meth:`Metrics.on_reminder`
by the reminder engine's ``observers`` (the event loop), and warnings and errors logged under
``bot.*`` / ``adapters.*`` by a logging handler (:meth:`Metrics.watch_logs`), counted by their event
name. A few gauges (adapters connected, database reachable, reminders due) are read when scraped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot import __version__
from bot.common.types import Handled
from bot.reminders.delivery import Adapter
from bot.reminders.engine import Outgoing, SendOutcome
from bot.storage.db import Database
from bot.storage.models import Reminder

log = logging.getLogger(__name__)

REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 86400)
_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
WATCHED_LOGGERS = ("bot", "adapters")


class Metrics:
    """The counters and histograms of one runtime, in a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "secondround_messages_handled",
            "Messages and button presses answered, by platform and what they were understood as.",
            ["platform", "intent"],
            registry=r,
        )
        self.reply_seconds = Histogram(
            "secondround_reply_seconds",
            "Time the coach took to answer one message (understanding, storage, composing replies).",
            ["platform"],
            buckets=REPLY_BUCKETS,
            registry=r,
        )
        self.reminders = Counter(
            "secondround_reminders",
            "Reminder send attempts by outcome: sent, retried (will be tried again), failed (given up).",
            ["platform", "outcome"],
            registry=r,
        )
        self.reminder_lag = Histogram(
            "secondround_reminder_delivery_lag_seconds",
            "How long after its due time a reminder was delivered.",
            ["platform"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "secondround_errors",
            "Warnings and errors logged by the bot, by kind (the log event name).",
            ["kind"],
            registry=r,
        )
        self.retention_deleted = Counter(
            "secondround_retention_deleted",
            "Rows deleted by the data-retention job, by table.",
            ["table"],
            registry=r,
        )
        self.unanswered = Counter(
            "secondround_unanswered_questions",
            "Coaching questions the knowledge base had no good answer to, by closest topic (never the text).",
            ["topic"],
            registry=r,
        )
        Info("secondround_build", "The running version.", registry=r).info({"version": __version__})
        self._log_handler: _ErrorCounter | None = None

    # feeds -----------------------------------------------------------------------------------------

    def on_handled(self, event: Handled) -> None:
        """A ``coach.observers`` callback: count the message and time the reply."""
        self.messages.labels(event.ref.platform, str(event.intent)).inc()
        self.reply_seconds.labels(event.ref.platform).observe(event.seconds)
        for kind in event.kinds:
            verb, _, topic = kind.partition(":")
            if verb == "unanswered" and _EVENT_NAME.fullmatch(topic):
                self.unanswered.labels(topic).inc()

    def on_reminder(self, outcome: SendOutcome, item: Outgoing, lag: float | None) -> None:
        """A reminder engine observer: count the outcome; for a sent reminder, its lateness."""
        platform = item.ref.platform
        self.reminders.labels(platform, outcome).inc()
        if outcome is SendOutcome.SENT and lag is not None:
            self.reminder_lag.labels(platform).observe(max(0.0, lag))

    def watch_logs(self) -> None:
        """Count warnings and errors logged under ``bot.*`` and ``adapters.*`` as ``secondround_errors``."""
        if self._log_handler is None:
            self._log_handler = _ErrorCounter(self.errors)
            for name in WATCHED_LOGGERS:
                logging.getLogger(name).addHandler(self._log_handler)

    def unwatch_logs(self) -> None:
        """Stop counting logged errors (when the runtime stops)."""
        if self._log_handler is not None:
            for name in WATCHED_LOGGERS:
                logging.getLogger(name).removeHandler(self._log_handler)
            self._log_handler = None

    def add_collector(self, collector: Collector) -> None:
        """Register a collector read at scrape time (see :class:`RuntimeCollector`)."""
        self.registry.register(collector)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (may query the database: call off the loop)."""
        return generate_latest(self.registry)


class _ErrorCounter(logging.Handler):
    """Counts WARNING-and-above records by event name (``other`` for free-text messages)."""

    def __init__(self, counter: Counter) -> None:
        super().__init__(level=logging.WARNING)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.msg if isinstance(record.msg, str) else ""
        self.counter.labels(msg if _EVENT_NAME.fullmatch(msg) else "other").inc()


class RuntimeCollector(Collector):
    """Gauges read when ``/metrics`` is scraped: adapters connected, database up, reminders due.

    ``secondround_reminders_due`` and ``secondround_reminders_oldest_due_seconds`` count pending
    reminders already due across the whole database (every instance's work): if they grow, reminders
    are not going out.
    """

    def __init__(
        self,
        *,
        adapters: Callable[[], list[Adapter]],
        database: Database,
        now: Callable[[], datetime],
        engine_stats: Callable[[], dict[str, int] | None],
        inflight: Callable[[], int],
    ) -> None:
        self.adapters = adapters
        self.database = database
        self.now = now
        self.engine_stats = engine_stats
        self.inflight = inflight

    def describe(self) -> list[Metric]:
        """Nothing to check at registration (and no database query then)."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Read the gauges now."""
        ready = GaugeMetricFamily(
            "secondround_adapter_ready", "1 when the platform adapter is connected.", labels=["platform"]
        )
        for adapter in self.adapters():
            try:
                ok = bool(adapter.ready())
            except Exception:
                ok = False
            ready.add_metric([adapter.platform], 1.0 if ok else 0.0)
        yield ready
        yield GaugeMetricFamily(
            "secondround_inflight_messages", "Messages being answered right now.", value=self.inflight()
        )
        up = GaugeMetricFamily("secondround_database_up", "1 when the database answered this scrape.")
        due = GaugeMetricFamily("secondround_reminders_due", "Pending reminders already due (whole database).")
        oldest = GaugeMetricFamily(
            "secondround_reminders_oldest_due_seconds", "Age of the oldest due, unsent reminder (0 when none)."
        )
        try:
            now = self.now()
            with self.database.session() as session:
                count, first = session.execute(
                    select(func.count(Reminder.id), func.min(Reminder.due_at)).where(
                        Reminder.status == "pending", Reminder.due_at <= now
                    )
                ).one()
        except Exception as exc:
            log.warning("metrics_database_unreachable", extra={"error": type(exc).__name__})
            up.add_metric([], 0.0)
            yield up
        else:
            up.add_metric([], 1.0)
            due.add_metric([], float(count or 0))
            if first is not None and first.tzinfo is None:  # aggregate results skip the column type
                first = first.replace(tzinfo=now.tzinfo)
            oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first is not None else 0.0)
            yield from (up, due, oldest)
        stats = self.engine_stats()
        if stats is not None:
            skipped = CounterMetricFamily(
                "secondround_reminders_skipped",
                "Reminders not sent because they no longer made sense (interview cancelled, already past).",
            )
            skipped.add_metric([], float(stats.get("skipped", 0)))
            yield skipped
