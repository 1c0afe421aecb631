package dev.kindling.workflows.hosts;

import io.temporal.activity.ActivityInterface;

/** What a host's record does when the host stops reporting; served on the shared queue. */
@ActivityInterface
public interface HostLossActivities {
  /**
   * Tells every running session workflow placed on {@code hostId} that its host is lost; a READY
   * one ends {@code HostLost}. Returns how many were told.
   */
  int hostLost(String hostId, String reason);
}
