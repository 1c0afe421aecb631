package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.host.HostPaths;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.host.ImageRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
  private static final String A = "a".repeat(64);
  private static final String B = "b".repeat(64);
  private static final String SNAP = "5".repeat(64);

  private static HostPaths publish(Path cache, String... ids) throws Exception {
    HostPaths paths = new HostPaths(cache, cache.resolve("run"));
    for (String id : ids) {
      Path dir = paths.imageDir(id);
      Files.createDirectories(dir);
      ManifestTest.sample(id).write(dir.resolve(Manifest.FILE));
    }
    return paths;
  }

  private static void snapshot(HostPaths paths, String storedUnder, String snapshotId, String namedImage) throws Exception {
    Path dir = paths.snapshotDir(storedUnder, snapshotId);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(SnapshotInfo.FILE),
        "{\"imageId\":\"" + namedImage + "\",\"snapshotId\":\"" + snapshotId + "\",\"vmm\":\"qemu\"}");
  }

  @Test
  void listsAndFindsPublishedImagesOnly(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    Files.createDirectories(paths.imagesDir().resolve(".build-" + "c".repeat(64) + "-1"));
    Files.createDirectories(paths.imageDir("d".repeat(64)));
    ImageStore store = new ImageStore(paths);
    assertEquals(List.of(A, B), store.list().stream().map(i -> i.ref().imageId()).toList());
    assertEquals(A, store.find(A).ref().imageId());
    assertEquals(paths.imageDir(A).resolve(Manifest.ROOTFS), store.find(A).rootfs());
    UnknownImageException unknown = assertThrows(UnknownImageException.class, () -> store.find("d".repeat(64)));
    assertEquals("UnknownImage", unknown.kind().type());
    assertThrows(InvalidInputException.class, () -> store.find("../../etc"));
  }

  @Test
  void promoteMakesAnImageCurrent(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    ImageStore store = new ImageStore(paths);
    assertEquals(Optional.empty(), store.current());
    assertThrows(UnknownImageException.class, () -> store.resolve(null));

    ImageRef promoted = store.promote(new ImageRef(A, null, null, 0));
    assertEquals(new ImageRef(A, null, "6.1.0-50-cloud-amd64", 1_760_000_000L), promoted);
    assertEquals(Optional.of(promoted), store.current());
    assertEquals(promoted, store.resolve(null));
    assertEquals(B, store.resolve(B).imageId());
    assertThrows(UnknownImageException.class, () -> store.promote(new ImageRef("e".repeat(64), null, null, 0)));
    assertEquals(Optional.of(promoted), store.current());
  }

  @Test
  void promoteRefusesASnapshotNotStoredUnderThatImage(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    ImageStore store = new ImageStore(paths);
    store.promote(new ImageRef(A, null, null, 0));

    SnapshotMismatchException missing = assertThrows(SnapshotMismatchException.class,
        () -> store.promote(new ImageRef(B, SNAP, null, 0)));
    assertEquals("SnapshotMismatch", missing.kind().type());

    snapshot(paths, A, SNAP, A);
    assertThrows(SnapshotMismatchException.class, () -> store.promote(new ImageRef(B, SNAP, null, 0)));

    snapshot(paths, B, SNAP, A);
    SnapshotMismatchException wrongImage = assertThrows(SnapshotMismatchException.class,
        () -> store.promote(new ImageRef(B, SNAP, null, 0)));
    assertTrue(wrongImage.getMessage().contains("made from image " + A));
    assertThrows(SnapshotMismatchException.class, () -> store.promote(new ImageRef(B, "not-a-hash", null, 0)));
    assertEquals(A, store.current().orElseThrow().imageId());
    assertEquals(null, store.current().orElseThrow().snapshotId());

    ImageRef withSnapshot = store.promote(new ImageRef(A, SNAP, null, 0));
    assertEquals(SNAP, withSnapshot.snapshotId());
    assertEquals(withSnapshot, store.resolve(null));
  }

  @Test
  void readersNeverSeeAHalfWrittenCurrentImage(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    ImageStore store = new ImageStore(paths);
    store.promote(new ImageRef(A, null, null, 0));
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread reader = Thread.ofPlatform().start(() -> {
      try {
        while (!done.get()) {
          String id = store.current().orElseThrow().imageId();
          if (!id.equals(A) && !id.equals(B)) {
            throw new AssertionError("read a current image that was never promoted: " + id);
          }
          reads.incrementAndGet();
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    for (int i = 0; i < 100; i++) {
      store.promote(new ImageRef(i % 2 == 0 ? B : A, null, null, 0));
    }
    done.set(true);
    reader.join();
    if (failure.get() != null) {
      throw new AssertionError("a reader failed while images were promoted", failure.get());
    }
    assertTrue(reads.get() > 0);
    try (var entries = Files.list(cache)) {
      assertEquals(List.of("current.json", "images"), entries.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
