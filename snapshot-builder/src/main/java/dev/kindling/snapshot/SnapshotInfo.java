package dev.kindling.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The part of a memory snapshot's {@code snapshot.json} the image store checks: which image the
 * snapshot was made from. Whoever writes snapshots may add more fields.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotInfo(String imageId, String snapshotId) {
  public static final String FILE = "snapshot.json";
}
