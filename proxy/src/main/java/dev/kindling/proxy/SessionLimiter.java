package dev.kindling.proxy;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** Counts connections per session, pending and open alike, against a fixed limit. */
final class SessionLimiter {
  private final int limit;
  private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

  SessionLimiter(int limit) {
    this.limit = limit;
  }

  /** A slot for one more connection to {@code sessionId}, or empty when the session is full. */
  Optional<Slot> tryAcquire(String sessionId) {
    AtomicBoolean granted = new AtomicBoolean();
    counts.compute(sessionId, (id, n) -> {
      int current = n == null ? 0 : n;
      if (current >= limit) {
        return n;
      }
      granted.set(true);
      return current + 1;
    });
    return granted.get() ? Optional.of(new Slot(sessionId)) : Optional.empty();
  }

  int count(String sessionId) {
    return counts.getOrDefault(sessionId, 0);
  }

  /** One held connection; releasing twice is harmless. */
  final class Slot {
    private final String sessionId;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(String sessionId) {
      this.sessionId = sessionId;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        counts.computeIfPresent(sessionId, (id, n) -> n <= 1 ? null : n - 1);
      }
    }
  }
}
