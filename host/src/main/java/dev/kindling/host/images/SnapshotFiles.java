package dev.kindling.host.images;

import java.nio.file.Path;

/**
 * A memory snapshot on disk: its directory, {@code snapshot.json}, memory state, disk and
 * (optionally) RAM image.
 */
public record SnapshotFiles(Path dir, SnapshotManifest manifest) {
  public static final String MANIFEST = "snapshot.json";

  public Path memoryState() {
    return dir.resolve(manifest.memoryFile());
  }

  public Path disk() {
    return dir.resolve(manifest.diskFile());
  }

  /** The guest RAM image, when the snapshot keeps one apart from the device state. */
  public java.util.Optional<Path> ram() {
    return manifest.separateRam()
        ? java.util.Optional.of(dir.resolve(manifest.ramFile()))
        : java.util.Optional.empty();
  }

  public Path manifestFile() {
    return dir.resolve(MANIFEST);
  }
}
