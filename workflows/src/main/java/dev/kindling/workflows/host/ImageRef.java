package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A golden image on a host. {@code snapshotId} is null when the image has no memory snapshot; a
 * snapshot is bound to exactly one image id. {@code template} names the template the image was
 * built from (null for images that predate templates).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageRef(
    String imageId,
    String snapshotId,
    String kernelVersion,
    long builtAtEpochSeconds,
    String template) {
  public boolean hasSnapshot() {
    return snapshotId != null && !snapshotId.isEmpty();
  }

  public ImageRef withSnapshot(String value) {
    return new ImageRef(imageId, value, kernelVersion, builtAtEpochSeconds, template);
  }
}
