package dev.kindling.activities.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.BuiltImage;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Templates;
import dev.kindling.workflows.host.ImageRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Build → canary → snapshot → promote with real VMs. The cache is the test's own (its own {@code
 * current/}) with the real golden image linked in, so the image is reused and the host's current
 * image is never touched.
 */
@Tag("vm")
@RequiresHost({
  HostCapability.ROOT,
  HostCapability.IPROUTE2,
  HostCapability.TUN,
  HostCapability.QEMU,
  HostCapability.DEBOOTSTRAP,
  HostCapability.VM_TESTS_ENABLED
})
class GoldenImagePipelineVmTest {
  @TempDir Path cacheDir;
  @TempDir Path runDir;

  /**
   * Removes the link to the shared image first, so cleaning up the temporary cache cannot reach the
   * image itself.
   */
  @AfterEach
  void unlinkTheSharedImage() throws Exception {
    try (Stream<Path> links =
        Files.isDirectory(cacheDir.resolve("images"))
            ? Files.list(cacheDir.resolve("images"))
            : Stream.empty()) {
      for (Path link : links.filter(Files::isSymbolicLink).toList()) {
        Files.delete(link);
      }
    }
  }

  @Test
  void aCanaryThatFailsIsNeverPromoted() throws Exception {
    BuiltImage image = VerifyHost.defaultImage();
    HostPaths paths = VerifyHost.privateCache(cacheDir, runDir, image);
    ImageStore store = new ImageStore(paths);
    store.promote(image.ref());
    byte[] currentBefore = Files.readAllBytes(paths.currentImageFile(Templates.DEFAULT));

    // The same image, booted with websockify disabled: its canary cannot pass.
    VerifyHost host = VerifyHost.create(paths, VerifyHost.WITHOUT_WEBSOCKIFY);
    PipelineResult result =
        new GoldenImagePipeline(new ImageBuilder(), store, host.verifier(), host.vmms())
            .run(BuildOptions.defaults(paths), true, true);

    assertFalse(result.passed());
    assertTrue(result.cacheHit(), "the linked image was reused");
    VerifyHost.assertWebsockifyRefused(result.canary());
    assertEquals(result.canary().failure(), result.failure());
    assertNull(result.snapshotId(), "no snapshot of a failed canary");
    assertNull(result.promoted());
    assertArrayEquals(
        currentBefore,
        Files.readAllBytes(paths.currentImageFile(Templates.DEFAULT)),
        "the current image is unchanged");
    String vmId = result.canary().vmId();
    assertEquals(image.ref().imageId(), result.imageId());
    assertTrue(
        snapshots(paths, image).stream().noneMatch(p -> p.getFileName().toString().contains(vmId)),
        "no snapshot staging of the canary");
    VerifyHost.assertNothingLeft(paths, result.canary().vmId());
  }

  @Test
  void aPassingCanaryIsSnapshottedAndPromotedWithItsSnapshot() throws Exception {
    BuiltImage image = VerifyHost.defaultImage();
    HostPaths paths = VerifyHost.privateCache(cacheDir, runDir, image);
    ImageStore store = new ImageStore(paths);
    VerifyHost host = VerifyHost.create(paths, "");

    PipelineResult result =
        new GoldenImagePipeline(new ImageBuilder(), store, host.verifier(), host.vmms())
            .run(BuildOptions.defaults(paths), true, true);
    Path snapshotDir =
        result.snapshotId() == null
            ? null
            : paths.snapshotDir(result.imageId(), result.snapshotId());
    try {
      assertTrue(result.passed(), () -> "pipeline failed: " + result.failure());
      assertNotNull(result.snapshotId());
      SnapshotFiles files = SnapshotManifest.read(snapshotDir);
      assertEquals(image.ref().imageId(), files.manifest().imageId());
      assertTrue(Files.size(files.memoryState()) > 0 && Files.size(files.disk()) > 0);
      assertEquals(
          image.ref().imageId(),
          store.checkSnapshot(image.ref().imageId(), result.snapshotId()).imageId());

      ImageRef current = store.current(Templates.DEFAULT).orElseThrow();
      assertEquals(result.promoted(), current);
      assertEquals(image.ref().imageId(), current.imageId());
      assertEquals(result.snapshotId(), current.snapshotId());
      assertEquals(current, store.resolve(null, Templates.DEFAULT));
      VerifyHost.assertNothingLeft(paths, result.canary().vmId());
    } finally {
      if (snapshotDir != null) {
        // Each canary's snapshot is unique (its memory differs); do not leave hundreds of MiB in
        // the shared cache.
        FileTrees.deleteRecursively(snapshotDir);
      }
    }
  }

  private static List<Path> snapshots(HostPaths paths, BuiltImage image) throws Exception {
    Path dir = paths.imageDir(image.ref().imageId()).resolve("snapshots");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.sorted().toList();
    }
  }
}
