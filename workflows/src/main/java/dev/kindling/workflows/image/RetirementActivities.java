package dev.kindling.workflows.image;

import io.temporal.activity.ActivityInterface;

/** Runs on the shared queue: ends browser VMs still on an older image, using visibility. */
@ActivityInterface
public interface RetirementActivities {
  /**
   * Signals {@code release} to every running browser VM workflow on {@code hostId} whose image is
   * not {@code currentImageId}; returns how many were signalled.
   */
  int retireOlderThan(String hostId, String currentImageId);
}
