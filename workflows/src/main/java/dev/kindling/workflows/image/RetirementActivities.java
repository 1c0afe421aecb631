package dev.kindling.workflows.image;

import io.temporal.activity.ActivityInterface;

/** Runs on the shared queue: ends browser VMs still on an older image, using visibility. */
@ActivityInterface
public interface RetirementActivities {
  /**
   * Signals {@code release} to every running browser VM workflow on {@code hostId} of {@code
   * template} whose image is not {@code currentImageId}; returns how many were signalled. VMs of
   * other templates run other images by design and are left alone.
   */
  int retireOlderThan(String hostId, String currentImageId, String template);
}
