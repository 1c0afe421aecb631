package dev.kindling.workflows.host;

import io.temporal.activity.ActivityInterface;

/**
 * Picks a host that has the image and returns its queue. Runs as a local activity of the workflow
 * task, so every worker that polls the shared queue for workflows must also serve this.
 */
@ActivityInterface
public interface PlacementActivities {
  /** Fails with UnknownImage when no host has {@code imageId} (or any current image). */
  Placement place(PlacementRequest request);
}
