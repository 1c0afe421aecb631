package dev.kindling.workflows.image;

import dev.kindling.workflows.host.ImageRef;
import io.temporal.activity.ActivityInterface;

/** Golden images on a host. Runs on that host's queue. */
@ActivityInterface
public interface ImageActivities {
  /**
   * Builds the request's template's image (or finds it cached by content hash); InvalidTemplate
   * names a bad recipe field.
   */
  ImageRef buildImage(ImageBuildRequest request);

  /**
   * The image by id, or the host's current image of {@code template} (null: the host's default
   * template) when {@code imageId} is null; UnknownImage if absent.
   */
  ImageRef resolveImage(String imageId, String template);

  /**
   * Makes {@code image} (with its snapshot, if any) the host's current image in one atomic step.
   * Refuses a snapshot not made from this image (SnapshotMismatch).
   */
  void promote(ImageRef image);
}
