package dev.kindling.worker.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.network.OwnershipRecord;
import dev.kindling.activities.vmm.Heartbeat;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.host.images.SnapshotMismatchException;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.runtime.LeakCheck;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot is bound to the image it was taken from. The real current image and its snapshot are
 * linked into a scratch cache next to a "changed" image (same files, another id); a snapshot copied
 * under the changed image, or one whose {@code snapshot.json} was edited, is refused with {@code
 * SnapshotMismatch} by the image store and by the restore path, which then leaves nothing.
 */
@Tag("vm")
@RequiresHost({
  HostCapability.ROOT,
  HostCapability.IPROUTE2,
  HostCapability.TUN,
  HostCapability.QEMU,
  HostCapability.VM_TESTS_ENABLED
})
class SnapshotMismatchVmTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> IMAGE_FILES = List.of("rootfs.ext4", "vmlinuz", "initrd.img");

  @TempDir static Path scratch;
  private static HostPaths paths;
  private static String imageId;
  private static String changedImageId;
  private static String snapshotId;
  private static Path realSnapshot;

  @BeforeAll
  static void linkImages() throws Exception {
    ImageRef current = CurrentImage.ensure(SnapshotFixture.config(scratch.resolve("fixture-run")));
    HostPaths real = HostPaths.fromEnvironment();
    imageId = current.imageId();
    snapshotId = current.snapshotId();
    realSnapshot = real.snapshotDir(imageId, snapshotId);
    changedImageId = sha256("changed " + imageId);
    paths = new HostPaths(scratch.resolve("cache"), scratch.resolve("run"));
    linkImage(real.imageDir(imageId), paths.imageDir(imageId), imageId);
    linkImage(real.imageDir(imageId), paths.imageDir(changedImageId), changedImageId);
  }

  @Test
  void theGenuineSnapshotPassesTheImageStoreCheck() throws IOException {
    copySnapshot(paths.snapshotDir(imageId, snapshotId), null);
    SnapshotManifest info = new ImageStore(paths).checkSnapshot(imageId, snapshotId);
    assertEquals(imageId, info.imageId());
  }

  @Test
  void aSnapshotCopiedUnderAnotherImageIsRefusedByTheStoreAndByRestore() throws Exception {
    copySnapshot(paths.snapshotDir(changedImageId, snapshotId), null);
    ImageStore store = new ImageStore(paths);
    assertThrows(
        SnapshotMismatchException.class, () -> store.checkSnapshot(changedImageId, snapshotId));
    SnapshotMismatchException promote =
        assertThrows(
            SnapshotMismatchException.class,
            () -> store.promote(new ImageRef(changedImageId, snapshotId, null, 0, null)));
    assertEquals(FailureKind.SNAPSHOT_MISMATCH, promote.kind());
    assertTrue(store.currents().isEmpty(), "nothing was promoted");

    assertRestoreRefused(new ImageRef(changedImageId, snapshotId, null, 0, null));
  }

  @Test
  void aSnapshotWhoseManifestWasEditedIsRefusedByTheStoreAndByRestore() throws Exception {
    String edited = sha256("edited " + snapshotId);
    copySnapshot(paths.snapshotDir(imageId, edited), changedImageId);
    ImageStore store = new ImageStore(paths);
    assertThrows(SnapshotMismatchException.class, () -> store.checkSnapshot(imageId, edited));
    assertThrows(
        SnapshotMismatchException.class,
        () -> store.promote(new ImageRef(imageId, edited, null, 0, null)));
    assertTrue(store.currents().isEmpty(), "nothing was promoted");

    assertRestoreRefused(new ImageRef(imageId, edited, null, 0, null));
  }

  /**
   * A RESTORE boot of {@code image} fails typed before anything of the VM exists; its network then
   * goes as usual.
   */
  private static void assertRestoreRefused(ImageRef image) throws IOException {
    NetworkActivitiesImpl network = new NetworkActivitiesImpl(paths);
    VmmActivitiesImpl vmms =
        new VmmActivitiesImpl(
            paths,
            QemuVmm.forHost(QemuConfig.defaults(), Heartbeat.NONE),
            "",
            Duration.ofSeconds(5));
    String vmId = newVmId();
    String requestId = "req-" + vmId;
    VmNetwork net = network.createNetwork(new NetworkRequest(requestId, vmId));
    try {
      ApplicationFailure failure =
          assertThrows(
              ApplicationFailure.class,
              () ->
                  vmms.bootVm(
                      new BootRequest(requestId, vmId, image, net, BootMode.RESTORE, 0, 0)));
      assertEquals(
          FailureKind.SNAPSHOT_MISMATCH.type(), failure.getType(), failure.getOriginalMessage());
      assertTrue(failure.isNonRetryable(), "a mismatch does not go away on retry");
      assertFalse(new VmProcesses(paths).alive(vmId), "no VMM was started");
      try (Stream<Path> files = Files.list(paths.vmDir(vmId))) {
        assertEquals(
            List.of(OwnershipRecord.FILE),
            files.map(p -> p.getFileName().toString()).toList(),
            "the refused restore wrote nothing beside the network's ownership record");
      }
    } finally {
      vmms.destroyVm(new VmRef(requestId, vmId, net));
      network.deleteNetwork(new NetworkRequest(requestId, vmId));
    }
    LeakCheck leaks = LeakCheck.forVm(paths, vmId);
    assertTrue(leaks.clean(), leaks.summary());
  }

  /** Links the image's files into {@code target} with a manifest naming {@code id}. */
  private static void linkImage(Path source, Path target, String id) throws IOException {
    Files.createDirectories(target);
    for (String name : IMAGE_FILES) {
      link(target.resolve(name), source.resolve(name));
    }
    ObjectNode manifest = (ObjectNode) JSON.readTree(source.resolve("manifest.json").toFile());
    manifest.put("id", id);
    JSON.writeValue(target.resolve("manifest.json").toFile(), manifest);
  }

  /**
   * Links the real snapshot's state into {@code target}; its manifest is copied, naming {@code
   * claimedImage} when given.
   */
  private static void copySnapshot(Path target, String claimedImage) throws IOException {
    Files.createDirectories(target);
    ObjectNode manifest =
        (ObjectNode) JSON.readTree(realSnapshot.resolve(SnapshotFiles.MANIFEST).toFile());
    for (String field : List.of("memoryFile", "diskFile", "ramFile")) {
      String name = manifest.path(field).asText("");
      if (!name.isEmpty()) {
        link(target.resolve(name), realSnapshot.resolve(name));
      }
    }
    if (claimedImage != null) {
      manifest.put("imageId", claimedImage);
    }
    JSON.writeValue(target.resolve(SnapshotFiles.MANIFEST).toFile(), manifest);
  }

  /**
   * A hard link where the scratch directory shares the cache's file system, else a symbolic one.
   */
  private static void link(Path link, Path existing) throws IOException {
    try {
      Files.createLink(link, existing);
    } catch (IOException otherFileSystem) {
      Files.createSymbolicLink(link, existing);
    }
  }

  private static String newVmId() {
    byte[] bytes = new byte[5];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
