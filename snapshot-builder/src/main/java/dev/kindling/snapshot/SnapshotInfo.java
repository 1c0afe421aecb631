package dev.kindling.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The part of a memory snapshot's {@code snapshot.json} the image store checks. The VMM side writes
 * that file ({@code dev.kindling.activities.vmm.SnapshotManifest}); this reads the fields promotion
 * and listing need and ignores the rest. The snapshot's own id is not in the file: it is the content
 * hash of the snapshot's files (this one included) and the name of its directory.
 *
 * @param imageId the image the snapshot was taken from; a snapshot is never paired with another
 * @param memoryBytes size of the memory state
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotInfo(String imageId, String vmm, String machine, String accelerator, long memoryBytes,
    long createdAtEpochMillis) {
  public static final String FILE = "snapshot.json";
}
