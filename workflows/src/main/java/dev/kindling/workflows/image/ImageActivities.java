package dev.kindling.workflows.image;

import dev.kindling.workflows.host.ImageRef;
import io.temporal.activity.ActivityInterface;

/** Golden images on a host. Runs on that host's queue. */
@ActivityInterface
public interface ImageActivities {
  /** Builds the image (or finds it cached by content hash). */
  ImageRef buildImage(ImageBuildRequest request);

  /** The image by id, or the host's current image when {@code imageId} is null; UnknownImage if absent. */
  ImageRef resolveImage(String imageId);

  /**
   * Makes {@code image} (with its snapshot, if any) the host's current image in one atomic step.
   * Refuses a snapshot not made from this image (SnapshotMismatch).
   */
  void promote(ImageRef image);
}
