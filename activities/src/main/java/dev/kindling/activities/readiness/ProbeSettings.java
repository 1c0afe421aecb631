package dev.kindling.activities.readiness;

import java.time.Duration;

/**
 * How eagerly readiness probes. Short connect timeouts and millisecond retries keep detection
 * latency low; the I/O timeout must outlast x11vnc's pause before its banner (~100–270 ms).
 *
 * @param connectTimeout one TCP connect attempt (a guest on a TAP answers in well under a
 *     millisecond)
 * @param ioTimeout one read (HTTP answer, WebSocket upgrade, an RFB message)
 * @param minRetryDelay pause after a stage's first failed attempt; doubled per failure up to {@code
 *     maxRetryDelay}
 * @param maxRetryDelay the longest pause between attempts
 * @param livenessPoll how often the VMM's liveness (and the deadline) is checked while a stage runs
 * @param progressEvery how often a listener hears that a stage is still waiting (heartbeats)
 */
public record ProbeSettings(
    Duration connectTimeout,
    Duration ioTimeout,
    Duration minRetryDelay,
    Duration maxRetryDelay,
    Duration livenessPoll,
    Duration progressEvery) {

  public static ProbeSettings defaults() {
    return new ProbeSettings(
        Duration.ofMillis(250),
        Duration.ofSeconds(2),
        Duration.ofMillis(2),
        Duration.ofMillis(20),
        Duration.ofMillis(5),
        Duration.ofSeconds(1));
  }
}
