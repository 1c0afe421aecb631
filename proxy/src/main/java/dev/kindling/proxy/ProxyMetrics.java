package dev.kindling.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.LongStream;

/**
 * The proxy's meters, in a Micrometer registry that {@code /metrics} serves in Prometheus' text
 * format ({@link #scrape()}). The relay adds to plain adders on every write; the registry reads
 * them only when scraped.
 */
public final class ProxyMetrics {
  /** Prometheus' text exposition format, what {@link #scrape()} writes. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final String CLOSES = "kindling.proxy.closes";

  /**
   * Upstream connect buckets in microseconds, from 1 ms (a VM on this host answering at once) to 10
   * s.
   */
  private static final Duration[] CONNECT_BUCKETS =
      LongStream.of(
              1_000,
              2_500,
              5_000,
              10_000,
              25_000,
              50_000,
              100_000,
              250_000,
              500_000,
              1_000_000,
              2_500_000,
              5_000_000,
              10_000_000)
          .mapToObj(micros -> Duration.of(micros, ChronoUnit.MICROS))
          .toArray(Duration[]::new);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicLong openSessions = new AtomicLong();
  private final AtomicLong maxConnections = new AtomicLong();
  private final LongAdder bytesToUpstream = new LongAdder();
  private final LongAdder bytesToBrowser = new LongAdder();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicLong queuedBytesHighWater = new AtomicLong();
  private final Timer upstreamConnect;

  ProxyMetrics() {
    gauge("kindling.proxy.open.sessions", "Relayed sessions open now.", openSessions);
    gauge(
        "kindling.proxy.max.connections",
        "Relayed connections this process holds at most; more are refused as proxy_full.",
        maxConnections);
    bytes("to_upstream", bytesToUpstream);
    bytes("to_browser", bytesToBrowser);
    gauge(
        "kindling.proxy.queued.bytes",
        "Bytes read from one side and not yet written to the other.",
        queuedBytes);
    gauge(
        "kindling.proxy.queued.bytes.high.water",
        "The most bytes ever queued at once.",
        queuedBytesHighWater);
    upstreamConnect =
        Timer.builder("kindling.proxy.upstream.connect")
            .description("Time to connect and upgrade to a VM's websockify.")
            .serviceLevelObjectives(CONNECT_BUCKETS)
            .register(registry);
  }

  private void gauge(String name, String description, AtomicLong value) {
    Gauge.builder(name, value, AtomicLong::get).description(description).register(registry);
  }

  private void bytes(String direction, LongAdder counted) {
    FunctionCounter.builder("kindling.proxy.bytes", counted, LongAdder::sum)
        .description("Payload bytes relayed, by direction.")
        .baseUnit(BaseUnits.BYTES)
        .tag("direction", direction)
        .register(registry);
  }

  void maxConnections(long value) {
    maxConnections.set(value);
  }

  void sessionOpened() {
    openSessions.incrementAndGet();
  }

  void sessionClosed() {
    openSessions.decrementAndGet();
  }

  void relayed(boolean toUpstream, long bytes) {
    (toUpstream ? bytesToUpstream : bytesToBrowser).add(bytes);
  }

  void queued(long delta) {
    long now = queuedBytes.addAndGet(delta);
    queuedBytesHighWater.accumulateAndGet(now, Math::max);
  }

  void upstreamConnected(long nanos) {
    upstreamConnect.record(Duration.ofNanos(nanos));
  }

  void closed(CloseOutcome outcome, int code) {
    Counter.builder(CLOSES)
        .description("Connections ended, by outcome and the close code the browser got.")
        .tag("outcome", label(outcome))
        .tag("code", Integer.toString(code))
        .register(registry)
        .increment();
  }

  public long openSessions() {
    return openSessions.get();
  }

  public long bytesToUpstream() {
    return bytesToUpstream.sum();
  }

  public long bytesToBrowser() {
    return bytesToBrowser.sum();
  }

  /** Bytes read from one side and not yet written to the other, over all sessions. */
  public long queuedBytes() {
    return queuedBytes.get();
  }

  /** The most {@link #queuedBytes()} has ever been. */
  public long queuedBytesHighWater() {
    return queuedBytesHighWater.get();
  }

  /** Connections that ended with {@code outcome}, whatever their close code. */
  public long closes(CloseOutcome outcome) {
    return (long)
        registry.find(CLOSES).tag("outcome", label(outcome)).counters().stream()
            .mapToDouble(Counter::count)
            .sum();
  }

  public long upstreamConnects() {
    return upstreamConnect.count();
  }

  /** The exposition text served at {@code /metrics}. */
  public String scrape() {
    return registry.scrape();
  }

  /** An outcome as the {@code outcome} label spells it: its name in lower case. */
  static String label(CloseOutcome outcome) {
    return outcome.name().toLowerCase(Locale.ROOT);
  }
}
