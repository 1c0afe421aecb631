package dev.kindling.workflows.vm;

import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * A ready VM's lease: it ends at the TTL, after {@code idle} without input or an extension (when
 * set), or on release. Workflow code only; every wait is a durable timer.
 */
final class Lease {
  enum End {
    RELEASED,
    EXPIRED,
    IDLE,
    /** The app exited under a template whose {@code onExit} is {@code release}. */
    APP_EXITED,
    /** The VM's host stopped reporting: the session ended with it. */
    HOST_LOST
  }

  private final long idleMillis;
  private long expiresAt;
  private long idleDeadline;
  private boolean released;
  private boolean appExited;
  private boolean hostLost;
  private int changes;

  Lease(long now, Duration ttl, Duration idle) {
    this.expiresAt = now + ttl.toMillis();
    this.idleMillis = idle.toMillis();
    this.idleDeadline = idleMillis > 0 ? now + idleMillis : Long.MAX_VALUE;
  }

  long expiresAt() {
    return expiresAt;
  }

  void release() {
    released = true;
  }

  void appExited() {
    appExited = true;
  }

  void hostLost() {
    hostLost = true;
  }

  /**
   * Moves the expiry to {@code now + by} unless it is already later, and restarts the idle timer.
   */
  long extend(long now, Duration by) {
    expiresAt = Math.max(expiresAt, now + by.toMillis());
    if (idleMillis > 0) {
      idleDeadline = now + idleMillis;
    }
    changes++;
    return expiresAt;
  }

  /**
   * Input reached the VM: the idle deadline moves; the expiry stays. The running timer is left to
   * fire (the loop then waits for the new deadline), so frequent input adds no timers to history.
   */
  void input(long now) {
    if (idleMillis > 0) {
      idleDeadline = Math.max(idleDeadline, now + idleMillis);
    }
  }

  /** Blocks (durably) until the lease ends and says why. */
  End awaitEnd() {
    while (true) {
      long now = Workflow.currentTimeMillis();
      if (hostLost) {
        return End.HOST_LOST;
      }
      if (released) {
        return End.RELEASED;
      }
      if (appExited) {
        return End.APP_EXITED;
      }
      if (now >= expiresAt) {
        return End.EXPIRED;
      }
      if (now >= idleDeadline) {
        return End.IDLE;
      }
      int seen = changes;
      long wakeAt = Math.min(expiresAt, idleDeadline);
      Workflow.await(
          Duration.ofMillis(wakeAt - now),
          () -> released || appExited || hostLost || changes != seen);
    }
  }
}
