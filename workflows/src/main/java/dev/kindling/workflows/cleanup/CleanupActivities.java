package dev.kindling.workflows.cleanup;

import io.temporal.activity.ActivityInterface;

/** Host half of the reconciler; runs on each host's queue. */
@ActivityInterface
public interface CleanupActivities {
  HostInventory inventory();

  /** Stops and removes everything of {@code vmId}; succeeds when already gone. */
  void destroyOrphan(String vmId);
}
