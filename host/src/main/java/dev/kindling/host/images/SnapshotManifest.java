package dev.kindling.host.images;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * {@code snapshot.json}: what a snapshot was taken from. A restore must recreate the same machine
 * (VMM, machine type, memory, vCPUs, kernel command line), and a snapshot is bound to one image.
 *
 * @param memoryFile file name of the memory state inside the snapshot directory
 * @param diskFile file name of the disk state (the VM's disk as it was when paused)
 * @param ramFile file name of the guest RAM image when it is kept apart from the device state (QEMU
 *     with {@code x-ignore-shared}: a restore maps it copy-on-write and pages in only what the
 *     guest touches); null when the RAM is inside {@code memoryFile}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotManifest(
    String imageId,
    String vmm,
    String machine,
    String accelerator,
    int memoryMib,
    int vcpus,
    String kernelCmdline,
    String memoryFile,
    String diskFile,
    long memoryBytes,
    long createdAtEpochMillis,
    long pauseToWrittenMillis,
    String ramFile) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A snapshot whose RAM is inside {@code memoryFile}. */
  public SnapshotManifest(
      String imageId,
      String vmm,
      String machine,
      String accelerator,
      int memoryMib,
      int vcpus,
      String kernelCmdline,
      String memoryFile,
      String diskFile,
      long memoryBytes,
      long createdAtEpochMillis,
      long pauseToWrittenMillis) {
    this(
        imageId,
        vmm,
        machine,
        accelerator,
        memoryMib,
        vcpus,
        kernelCmdline,
        memoryFile,
        diskFile,
        memoryBytes,
        createdAtEpochMillis,
        pauseToWrittenMillis,
        null);
  }

  public boolean separateRam() {
    return ramFile != null && !ramFile.isEmpty();
  }

  public static SnapshotFiles read(Path dir) {
    try {
      return new SnapshotFiles(
          dir,
          JSON.readValue(dir.resolve(SnapshotFiles.MANIFEST).toFile(), SnapshotManifest.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(SnapshotFiles.MANIFEST), e);
    }
  }

  /** Writes the manifest last and atomically: a directory without one is not a snapshot. */
  public SnapshotFiles writeTo(Path dir) {
    try {
      FileTrees.writeAtomically(
          dir.resolve(SnapshotFiles.MANIFEST),
          JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
      return new SnapshotFiles(dir, this);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the snapshot manifest in " + dir, e);
    }
  }
}
