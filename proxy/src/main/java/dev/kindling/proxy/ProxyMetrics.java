package dev.kindling.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** The proxy's counters, written in Prometheus' text exposition format (version 0.0.4) by hand. */
public final class ProxyMetrics {
  private static final double[] CONNECT_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  private final AtomicLong openSessions = new AtomicLong();
  private volatile long maxConnections;
  private final LongAdder bytesToUpstream = new LongAdder();
  private final LongAdder bytesToBrowser = new LongAdder();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicLong queuedBytesHighWater = new AtomicLong();
  private final AtomicLongArray connectBuckets = new AtomicLongArray(CONNECT_BUCKETS.length);
  private final LongAdder connectCount = new LongAdder();
  private final AtomicLong connectNanosSum = new AtomicLong();
  private final Map<String, LongAdder> closes = new ConcurrentHashMap<>();

  void maxConnections(long value) {
    maxConnections = value;
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
    double seconds = nanos / 1e9;
    for (int i = 0; i < CONNECT_BUCKETS.length; i++) {
      if (seconds <= CONNECT_BUCKETS[i]) {
        connectBuckets.incrementAndGet(i);
      }
    }
    connectCount.increment();
    connectNanosSum.addAndGet(nanos);
  }

  void closed(CloseOutcome outcome, int code) {
    closes.computeIfAbsent(outcome.name() + "\u0000" + code, k -> new LongAdder()).increment();
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

  public long closes(CloseOutcome outcome) {
    return closes.entrySet().stream()
        .filter(e -> e.getKey().startsWith(outcome.name() + "\u0000"))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  public long upstreamConnects() {
    return connectCount.sum();
  }

  /** The exposition text served at {@code /metrics}. */
  public String render() {
    StringBuilder out = new StringBuilder(2048);
    gauge(out, "kindling_proxy_open_sessions", "Relayed sessions open now.", openSessions.get());
    gauge(out, "kindling_proxy_max_connections", "Relayed connections this process holds at most; more are refused as proxy_full.", maxConnections);
    out.append("# HELP kindling_proxy_bytes_total Payload bytes relayed, by direction.\n")
        .append("# TYPE kindling_proxy_bytes_total counter\n")
        .append("kindling_proxy_bytes_total{direction=\"to_upstream\"} ").append(bytesToUpstream.sum()).append('\n')
        .append("kindling_proxy_bytes_total{direction=\"to_browser\"} ").append(bytesToBrowser.sum()).append('\n');
    gauge(out, "kindling_proxy_queued_bytes", "Bytes read from one side and not yet written to the other.", queuedBytes.get());
    gauge(out, "kindling_proxy_queued_bytes_high_water", "The most bytes ever queued at once.", queuedBytesHighWater.get());
    out.append("# HELP kindling_proxy_upstream_connect_seconds Time to connect and upgrade to a VM's websockify.\n")
        .append("# TYPE kindling_proxy_upstream_connect_seconds histogram\n");
    for (int i = 0; i < CONNECT_BUCKETS.length; i++) {
      out.append("kindling_proxy_upstream_connect_seconds_bucket{le=\"").append(CONNECT_BUCKETS[i]).append("\"} ")
          .append(connectBuckets.get(i)).append('\n');
    }
    out.append("kindling_proxy_upstream_connect_seconds_bucket{le=\"+Inf\"} ").append(connectCount.sum()).append('\n')
        .append("kindling_proxy_upstream_connect_seconds_sum ").append(connectNanosSum.get() / 1e9).append('\n')
        .append("kindling_proxy_upstream_connect_seconds_count ").append(connectCount.sum()).append('\n');
    out.append("# HELP kindling_proxy_closes_total Connections ended, by outcome and the close code the browser got.\n")
        .append("# TYPE kindling_proxy_closes_total counter\n");
    closes.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      String[] key = e.getKey().split("\u0000");
      out.append("kindling_proxy_closes_total{outcome=\"").append(key[0].toLowerCase(java.util.Locale.ROOT))
          .append("\",code=\"").append(key[1]).append("\"} ").append(e.getValue().sum()).append('\n');
    });
    return out.toString();
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" gauge\n")
        .append(name).append(' ').append(value).append('\n');
  }
}
