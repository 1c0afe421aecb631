package dev.kindling.proxy;

import dev.kindling.workflows.vm.Viewers;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Passes on at most one viewers report and one input report per session per interval: the first at
 * once, later ones when the interval since the last has passed, and the last one of a burst always
 * (so the owner ends with the current viewers and the time of the latest input, give or take one
 * interval). Reports go out on {@code sender}, never on the relay's threads.
 */
final class ThrottledActivity implements SessionActivity {
  private final SessionActivity target;
  private final long intervalNanos;
  private final ScheduledExecutorService timer;
  private final Executor sender;
  private final LongSupplier nanoClock;
  private final Map<String, Gate> viewerGates = new HashMap<>();
  private final Map<String, Gate> inputGates = new HashMap<>();

  ThrottledActivity(
      SessionActivity target,
      Duration interval,
      ScheduledExecutorService timer,
      Executor sender,
      LongSupplier nanoClock) {
    this.target = target;
    this.intervalNanos = interval.toNanos();
    this.timer = timer;
    this.sender = sender;
    this.nanoClock = nanoClock;
  }

  @Override
  public void viewers(String sessionId, Viewers viewers) {
    offer(viewerGates, sessionId, () -> target.viewers(sessionId, viewers));
  }

  @Override
  public void input(String sessionId) {
    offer(inputGates, sessionId, () -> target.input(sessionId));
  }

  private void offer(Map<String, Gate> gates, String sessionId, Runnable report) {
    long now = nanoClock.getAsLong();
    Runnable sendNow = null;
    synchronized (this) {
      Gate gate = gates.computeIfAbsent(sessionId, id -> new Gate());
      gate.forgotten = false;
      if (gate.pending != null) {
        gate.pending = report;
        return;
      }
      long wait = gate.lastSentNanos == 0 ? 0 : gate.lastSentNanos + intervalNanos - now;
      if (wait <= 0) {
        gate.lastSentNanos = now;
        sendNow = report;
      } else {
        gate.pending = report;
        timer.schedule(() -> flush(gates, sessionId), wait, TimeUnit.NANOSECONDS);
      }
    }
    if (sendNow != null) {
      sender.execute(sendNow);
    }
  }

  private void flush(Map<String, Gate> gates, String sessionId) {
    Runnable report;
    synchronized (this) {
      Gate gate = gates.get(sessionId);
      if (gate == null || gate.pending == null) {
        return;
      }
      report = gate.pending;
      gate.pending = null;
      gate.lastSentNanos = nanoClock.getAsLong();
      if (gate.forgotten) {
        gates.remove(sessionId);
      }
    }
    sender.execute(report);
  }

  /** Forgets a session with no open connection, once its last reports are out. */
  synchronized void forget(String sessionId) {
    for (Map<String, Gate> gates : java.util.List.of(viewerGates, inputGates)) {
      Gate gate = gates.get(sessionId);
      if (gate != null && gate.pending == null) {
        gates.remove(sessionId);
      } else if (gate != null) {
        gate.forgotten = true;
      }
    }
  }

  private static final class Gate {
    long lastSentNanos;
    Runnable pending;
    boolean forgotten;
  }
}
