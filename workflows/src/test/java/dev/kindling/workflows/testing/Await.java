package dev.kindling.workflows.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Polls a probe until its value is the one awaited, failing after the timeout with what was
 * awaited, for how long, and what the probe last returned (or, as the cause, last threw).
 */
public final class Await {
  private static final Duration POLL = Duration.ofMillis(20);
  private static final int SHOWN_CHARS = 4000;

  private Await() {}

  /** Reads the state awaited; what it throws ends the wait unless the caller tolerates it. */
  @FunctionalInterface
  public interface Probe<T, E extends Exception> {
    T get() throws E;
  }

  /** The probe's first non-null value. */
  public static <T, E extends Exception> T value(
      String what, Duration timeout, Probe<T, E> probe, Class<?>... tolerated)
      throws E, InterruptedException {
    return until(what, timeout, probe, Objects::nonNull, tolerated);
  }

  /**
   * The probe's first value that {@code done} accepts; {@code tolerated} exceptions mean "not yet".
   */
  public static <T, E extends Exception> T until(
      String what,
      Duration timeout,
      Probe<T, E> probe,
      Predicate<? super T> done,
      Class<?>... tolerated)
      throws E, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    T seen = null;
    Exception failure = null;
    while (true) {
      try {
        seen = probe.get();
        if (done.test(seen)) {
          return seen;
        }
      } catch (Exception e) {
        if (!tolerates(tolerated, e)) {
          throw e;
        }
        failure = e;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "awaited " + what + " for " + shown(timeout) + "; last seen: " + shown(seen), failure);
      }
      Thread.sleep(Duration.ofNanos(Math.min(left, POLL.toNanos())));
    }
  }

  private static boolean tolerates(Class<?>[] tolerated, Exception e) {
    for (Class<?> type : tolerated) {
      if (type.isInstance(e)) {
        return true;
      }
    }
    return false;
  }

  private static String shown(Duration timeout) {
    return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
  }

  private static String shown(Object value) {
    String text = String.valueOf(value);
    if (text.length() <= SHOWN_CHARS) {
      return text;
    }
    int half = SHOWN_CHARS / 2;
    return text.substring(0, half)
        + " […"
        + (text.length() - SHOWN_CHARS)
        + " chars…] "
        + text.substring(text.length() - half);
  }
}
