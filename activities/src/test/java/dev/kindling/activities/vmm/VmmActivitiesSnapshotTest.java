package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.workflows.host.SnapshotRequest;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmmActivitiesSnapshotTest {
  private static final String IMAGE = "a".repeat(64);
  private static final String VM = "vm0123456789";

  @TempDir Path root;

  @Test
  void aSnapshotThatFailsHalfwayLeavesNoStagingDirectoryBehind() throws IOException {
    HostPaths paths = new HostPaths(root.resolve("cache"), root.resolve("run"));
    Path vmDir = Files.createDirectories(paths.vmDir(VM));
    new LaunchRecord(
            VM, IMAGE, "qemu", "pc", "tcg", 512, 1, "", ProcessHandle.current().pid(), 0, 0)
        .write(vmDir);
    VmmActivitiesImpl activities =
        new VmmActivitiesImpl(paths, new VmmFailingMidSnapshot(), "", Duration.ofSeconds(1));

    assertThrows(
        ApplicationFailure.class,
        () -> activities.snapshotVm(new SnapshotRequest("snap-1", VM, IMAGE)));

    Path snapshots = paths.imageDir(IMAGE).resolve("snapshots");
    try (Stream<Path> left = Files.list(snapshots)) {
      assertEquals(List.of(), left.toList(), "nothing may remain under " + snapshots);
    }
  }

  @Test
  void aSnapshotRemovesStagingDirectoriesAbandonedByWorkersThatDiedMidSnapshot()
      throws IOException {
    HostPaths paths = new HostPaths(root.resolve("cache"), root.resolve("run"));
    Path vmDir = Files.createDirectories(paths.vmDir(VM));
    new LaunchRecord(
            VM, IMAGE, "qemu", "pc", "tcg", 512, 1, "", ProcessHandle.current().pid(), 0, 0)
        .write(vmDir);
    Path snapshots = Files.createDirectories(paths.imageDir(IMAGE).resolve("snapshots"));
    Path abandoned = Files.createDirectories(snapshots.resolve(".staging-vm9999999999-snap-0"));
    Files.write(abandoned.resolve("ram.bin"), new byte[16]);
    Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    Path inProgress = Files.createDirectories(snapshots.resolve(".staging-vm8888888888-snap-0"));
    VmmActivitiesImpl activities =
        new VmmActivitiesImpl(paths, new VmmFailingMidSnapshot(), "", Duration.ofSeconds(1));

    assertThrows(
        ApplicationFailure.class,
        () -> activities.snapshotVm(new SnapshotRequest("snap-1", VM, IMAGE)));

    assertFalse(Files.exists(abandoned), "an hour-old staging directory is abandoned");
    assertTrue(Files.exists(inProgress), "another worker's snapshot in progress is left alone");
  }

  /** Writes part of a snapshot into the staging directory, then fails as a full disk would. */
  private static final class VmmFailingMidSnapshot implements Vmm {
    @Override
    public String name() {
      return "qemu";
    }

    @Override
    public RunningVm boot(VmSpec spec) {
      throw new UnsupportedOperationException();
    }

    @Override
    public RunningVm restore(VmSpec spec, SnapshotFiles snapshot) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SnapshotFiles snapshot(RunningVm vm, Path dir) {
      try {
        Files.write(dir.resolve("ram.bin"), new byte[4096]);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw new UncheckedIOException(new IOException("No space left on device"));
    }

    @Override
    public void stop(RunningVm vm, Duration grace) {}

    @Override
    public boolean alive(RunningVm vm) {
      return true;
    }
  }
}
