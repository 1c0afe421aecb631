package dev.kindling.proxy;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts connections, pending and open alike, per session and in the whole process, each against
 * its own limit.
 */
final class SessionLimiter {
  private final int perSession;
  private final int perProcess;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

  SessionLimiter(int perSession, int perProcess) {
    this.perSession = perSession;
    this.perProcess = perProcess;
  }

  /** A slot for one more connection to a session, or the outcome that refuses it. */
  record Admission(Slot slot, CloseOutcome refusal, String detail) {}

  Admission tryAcquire(String sessionId) {
    AtomicBoolean granted = new AtomicBoolean();
    counts.compute(
        sessionId,
        (id, n) -> {
          int current = n == null ? 0 : n;
          if (current >= perSession) {
            return n;
          }
          granted.set(true);
          return current + 1;
        });
    if (!granted.get()) {
      return new Admission(null, CloseOutcome.LIMIT_REACHED, "limit " + perSession);
    }
    if (total.getAndUpdate(n -> n >= perProcess ? n : n + 1) >= perProcess) {
      releaseSession(sessionId);
      return new Admission(null, CloseOutcome.PROXY_FULL, perProcess + " connections");
    }
    return new Admission(new Slot(sessionId), null, null);
  }

  int count(String sessionId) {
    return counts.getOrDefault(sessionId, 0);
  }

  /** Connections held in the whole process. */
  int total() {
    return total.get();
  }

  int perProcess() {
    return perProcess;
  }

  private void releaseSession(String sessionId) {
    counts.computeIfPresent(sessionId, (id, n) -> n <= 1 ? null : n - 1);
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
        releaseSession(sessionId);
        total.decrementAndGet();
      }
    }
  }
}
