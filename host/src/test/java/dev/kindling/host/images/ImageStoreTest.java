package dev.kindling.host.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.host.ImageRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
  private static final String A = "a".repeat(64);
  private static final String B = "b".repeat(64);
  private static final String C = "c".repeat(64);
  private static final String SNAP = "5".repeat(64);

  private static final String TERMINAL = "terminal";
  private static final String BROWSER = "browser";

  /** Publishes images of the default template. */
  private static HostPaths publish(Path cache, String... ids) throws Exception {
    HostPaths paths = new HostPaths(cache, cache.resolve("run"));
    for (String id : ids) {
      publishAs(paths, id, TERMINAL);
    }
    return paths;
  }

  /** Publishes an image built from {@code template} (null: from before templates). */
  private static void publishAs(HostPaths paths, String id, String template) throws Exception {
    Path dir = paths.imageDir(id);
    Files.createDirectories(dir);
    sample(id, template).write(dir.resolve(Manifest.FILE));
  }

  private static Manifest sample(String id, String template) {
    return new Manifest(
        id,
        "bookworm",
        "http://mirror.example/debian",
        "6.1.0-50-cloud-amd64",
        "console=ttyS0",
        Manifest.ROOTFS,
        Manifest.KERNEL,
        Manifest.INITRD,
        List.of(new PackageVersion("systemd", "252.38-1~deb12u1")),
        List.of("kindling-agent.service"),
        List.of(),
        Map.of("agent", 8080),
        300L << 20,
        180L << 20,
        142.5,
        1_760_000_000L,
        "test",
        template,
        template == null ? null : new Manifest.Defaults(512, 1, 1280, 800));
  }

  private static void snapshot(
      HostPaths paths, String storedUnder, String snapshotId, String namedImage) throws Exception {
    Path dir = paths.snapshotDir(storedUnder, snapshotId);
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(SnapshotFiles.MANIFEST),
        "{\"imageId\":\""
            + namedImage
            + "\",\"snapshotId\":\""
            + snapshotId
            + "\",\"vmm\":\"qemu\"}");
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
    UnknownImageException unknown =
        assertThrows(UnknownImageException.class, () -> store.find("d".repeat(64)));
    assertEquals("UnknownImage", unknown.kind().type());
    assertThrows(InvalidInputException.class, () -> store.find("../../etc"));
  }

  @Test
  void promoteMakesAnImageItsTemplatesCurrent(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    ImageStore store = new ImageStore(paths);
    assertEquals(Optional.empty(), store.current(TERMINAL));
    UnknownImageException none =
        assertThrows(UnknownImageException.class, () -> store.resolve(null, TERMINAL));
    assertTrue(none.getMessage().contains("template " + TERMINAL), none.getMessage());
    assertTrue(
        none.getMessage().contains("--template " + TERMINAL),
        "says how to make one: " + none.getMessage());

    // The reference's own template is not trusted: the manifest's is written.
    ImageRef promoted = store.promote(new ImageRef(A, null, null, 0, null));
    assertEquals(new ImageRef(A, null, "6.1.0-50-cloud-amd64", 1_760_000_000L, TERMINAL), promoted);
    assertTrue(Files.isRegularFile(paths.currentImageFile(TERMINAL)));
    assertEquals(paths.currentDir().resolve("terminal.json"), paths.currentImageFile(TERMINAL));
    assertEquals(Optional.of(promoted), store.current(TERMINAL));
    assertEquals(promoted, store.resolve(null, TERMINAL));
    assertEquals(B, store.resolve(B, TERMINAL).imageId());
    assertEquals(Optional.empty(), store.current(BROWSER), "other templates have no current image");
    assertThrows(UnknownImageException.class, () -> store.resolve(null, BROWSER));
    assertThrows(
        UnknownImageException.class,
        () -> store.promote(new ImageRef("e".repeat(64), null, null, 0, null)));
    assertEquals(Optional.of(promoted), store.current(TERMINAL));
    assertThrows(InvalidInputException.class, () -> store.current("../images"));
  }

  @Test
  void twoTemplatesHaveIndependentCurrentImages(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A);
    publishAs(paths, B, BROWSER);
    publishAs(paths, C, TERMINAL);
    ImageStore store = new ImageStore(paths);

    ImageRef terminal = store.promote(new ImageRef(A, null, null, 0, null));
    ImageRef browser = store.promote(new ImageRef(B, null, null, 0, null));

    assertEquals(BROWSER, browser.template());
    assertEquals(Optional.of(terminal), store.current(TERMINAL));
    assertEquals(Optional.of(browser), store.current(BROWSER));
    assertEquals(new TreeMap<>(Map.of(TERMINAL, terminal, BROWSER, browser)), store.currents());
    assertEquals(browser, store.resolve(null, BROWSER));

    // A new terminal image replaces the terminal's current image only.
    ImageRef newer = store.promote(new ImageRef(C, null, null, 0, null));
    assertEquals(Optional.of(newer), store.current(TERMINAL));
    assertEquals(Optional.of(browser), store.current(BROWSER));
    assertEquals(List.of(BROWSER, TERMINAL), List.copyOf(store.currents().keySet()));
    try (var entries = Files.list(paths.currentDir())) {
      assertEquals(
          List.of("browser.json", "terminal.json"),
          entries.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void anImageNamedByIdIsFoundWhateverItsTemplate(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A);
    publishAs(paths, B, BROWSER);
    ImageStore store = new ImageStore(paths);

    // The store resolves ids as they are; whether a session may run it is placement's decision.
    ImageRef byId = store.resolve(B, TERMINAL);
    assertEquals(B, byId.imageId());
    assertEquals(BROWSER, byId.template());
  }

  @Test
  void promoteRefusesAnImageBuiltWithoutATemplate(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A);
    publishAs(paths, C, null);
    ImageStore store = new ImageStore(paths);

    UnknownImageException refused =
        assertThrows(
            UnknownImageException.class, () -> store.promote(new ImageRef(C, null, null, 0, null)));

    assertTrue(refused.getMessage().contains("without a template"), refused.getMessage());
    assertEquals(Map.of(), store.currents());
    assertEquals(Optional.empty(), store.current(TERMINAL));
    assertEquals(null, store.find(C).ref().template(), "it can still be found and booted by id");
  }

  @Test
  void currentsIgnoresFilesThatNameNoTemplate(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A);
    ImageStore store = new ImageStore(paths);
    assertEquals(Map.of(), store.currents(), "no current directory yet");
    ImageRef terminal = store.promote(new ImageRef(A, null, null, 0, null));
    Files.writeString(paths.currentDir().resolve(".current-123.json.tmp"), "{");
    Files.writeString(paths.currentDir().resolve("Not-A-Template.json"), "{}");
    Files.writeString(paths.currentDir().resolve("notes.txt"), "hello");

    assertEquals(Map.of(TERMINAL, terminal), store.currents());
  }

  @Test
  void promoteRefusesASnapshotNotStoredUnderThatImage(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    ImageStore store = new ImageStore(paths);
    store.promote(new ImageRef(A, null, null, 0, null));

    SnapshotMismatchException missing =
        assertThrows(
            SnapshotMismatchException.class,
            () -> store.promote(new ImageRef(B, SNAP, null, 0, null)));
    assertEquals("SnapshotMismatch", missing.kind().type());

    snapshot(paths, A, SNAP, A);
    assertThrows(
        SnapshotMismatchException.class, () -> store.promote(new ImageRef(B, SNAP, null, 0, null)));

    snapshot(paths, B, SNAP, A);
    SnapshotMismatchException wrongImage =
        assertThrows(
            SnapshotMismatchException.class,
            () -> store.promote(new ImageRef(B, SNAP, null, 0, null)));
    assertTrue(wrongImage.getMessage().contains("made from image " + A));
    assertThrows(
        SnapshotMismatchException.class,
        () -> store.promote(new ImageRef(B, "not-a-hash", null, 0, null)));
    assertEquals(A, store.current(TERMINAL).orElseThrow().imageId());
    assertEquals(null, store.current(TERMINAL).orElseThrow().snapshotId());

    ImageRef withSnapshot = store.promote(new ImageRef(A, SNAP, null, 0, null));
    assertEquals(SNAP, withSnapshot.snapshotId());
    assertEquals(withSnapshot, store.resolve(null, TERMINAL));
  }

  @Test
  void readersNeverSeeAHalfWrittenCurrentImage(@TempDir Path cache) throws Exception {
    HostPaths paths = publish(cache, A, B);
    ImageStore store = new ImageStore(paths);
    store.promote(new ImageRef(A, null, null, 0, null));
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread reader =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    while (!done.get()) {
                      String id = store.current(TERMINAL).orElseThrow().imageId();
                      if (!id.equals(A) && !id.equals(B)) {
                        throw new AssertionError(
                            "read a current image that was never promoted: " + id);
                      }
                      reads.incrementAndGet();
                    }
                  } catch (Throwable t) {
                    failure.set(t);
                  }
                });
    for (int i = 0; i < 100; i++) {
      store.promote(new ImageRef(i % 2 == 0 ? B : A, null, null, 0, null));
    }
    done.set(true);
    reader.join();
    if (failure.get() != null) {
      throw new AssertionError("a reader failed while images were promoted", failure.get());
    }
    assertTrue(reads.get() > 0);
    try (var entries = Files.list(cache)) {
      assertEquals(
          List.of("current", "images"),
          entries.map(p -> p.getFileName().toString()).sorted().toList());
    }
    try (var entries = Files.list(paths.currentDir())) {
      assertEquals(
          List.of("terminal.json"),
          entries.map(p -> p.getFileName().toString()).toList(),
          "no temporary files left");
    }
  }
}
