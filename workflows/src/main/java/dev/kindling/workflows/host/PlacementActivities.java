package dev.kindling.workflows.host;

import io.temporal.activity.ActivityInterface;

/** Runs on the shared queue: picks a host that has the image and returns its queue. */
@ActivityInterface
public interface PlacementActivities {
  /** Fails with UnknownImage when no host has {@code imageId} (or any current image). */
  Placement place(PlacementRequest request);
}
