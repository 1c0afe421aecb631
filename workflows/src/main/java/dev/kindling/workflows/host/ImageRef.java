package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A golden image on a host. {@code snapshotId} is null when the image has no memory snapshot; a
 * snapshot is bound to exactly one image id.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageRef(String imageId, String snapshotId, String kernelVersion, long builtAtEpochSeconds) {
  public boolean hasSnapshot() {
    return snapshotId != null && !snapshotId.isEmpty();
  }
}
