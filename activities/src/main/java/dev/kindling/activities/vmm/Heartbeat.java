package dev.kindling.activities.vmm;

import dev.kindling.activities.temporal.CurrentActivity;

/**
 * Reports progress while a VMM writes a snapshot (boots are covered by bootVm's background
 * heartbeat).
 */
@FunctionalInterface
public interface Heartbeat {
  void beat(String detail);

  Heartbeat NONE = detail -> {};

  /**
   * Heartbeats the current Temporal activity when the calling thread runs one, and does nothing
   * otherwise, so the drivers stay usable outside Temporal.
   */
  static Heartbeat ofCurrentActivity() {
    return detail -> CurrentActivity.context().ifPresent(context -> context.heartbeat(detail));
  }
}
