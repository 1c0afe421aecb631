package dev.kindling.activities.vmm;

import java.nio.file.Path;

/** A memory snapshot on disk: its directory, {@code snapshot.json}, memory state and disk. */
public record SnapshotFiles(Path dir, SnapshotManifest manifest) {
  public static final String MANIFEST = "snapshot.json";

  public Path memoryState() {
    return dir.resolve(manifest.memoryFile());
  }

  public Path disk() {
    return dir.resolve(manifest.diskFile());
  }

  public Path manifestFile() {
    return dir.resolve(MANIFEST);
  }
}
