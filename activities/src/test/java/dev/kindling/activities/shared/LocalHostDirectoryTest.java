package dev.kindling.activities.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.Manifest;
import dev.kindling.snapshot.GuestImageSpec;
import dev.kindling.workflows.host.ImageRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** This host's images as placement sees them: by id, or each template's current one. */
class LocalHostDirectoryTest {
  private static final String TERMINAL_IMAGE = "a".repeat(64);
  private static final String BROWSER_IMAGE = "b".repeat(64);

  private static void publish(HostPaths paths, String id, String template) throws Exception {
    Path dir = Files.createDirectories(paths.imageDir(id));
    new Manifest(
            id,
            "bookworm",
            "http://mirror.example/debian",
            "6.1.0-test",
            GuestImageSpec.KERNEL_CMDLINE,
            Manifest.ROOTFS,
            Manifest.KERNEL,
            Manifest.INITRD,
            List.of(),
            GuestImageSpec.UNITS,
            GuestImageSpec.MASKED_UNITS,
            GuestImageSpec.PORTS,
            1,
            1,
            1.0,
            1_760_000_000L,
            GuestImageSpec.BUILDER_VERSION,
            template,
            new Manifest.Defaults(512, 1, 1280, 800))
        .write(dir.resolve(Manifest.FILE));
  }

  @Test
  void aRequestWithoutImageGetsItsTemplatesCurrentImageAndWithoutTemplateTheDefaults(
      @TempDir Path cache) throws Exception {
    HostPaths paths = new HostPaths(cache, cache.resolve("run"));
    publish(paths, TERMINAL_IMAGE, "terminal");
    publish(paths, BROWSER_IMAGE, "browser");
    ImageStore store = new ImageStore(paths);
    ImageRef terminal = store.promote(new ImageRef(TERMINAL_IMAGE, null, null, 0, null));
    ImageRef browser = store.promote(new ImageRef(BROWSER_IMAGE, null, null, 0, null));

    LocalHostDirectory directory = new LocalHostDirectory(List.of("h1"), store, "terminal");
    assertEquals(Optional.of(terminal), directory.image("h1", null, null));
    assertEquals(Optional.of(terminal), directory.image("h1", null, "terminal"));
    assertEquals(Optional.of(browser), directory.image("h1", null, "browser"));
    assertEquals(
        Optional.of(browser),
        new LocalHostDirectory(List.of("h1"), store, "browser").image("h1", null, null),
        "the host's configured default");
    assertEquals(
        Optional.empty(),
        directory.image("h1", null, "kiosk"),
        "no current image of that template");
    assertEquals(
        BROWSER_IMAGE,
        directory.image("h1", BROWSER_IMAGE, "terminal").orElseThrow().imageId(),
        "by id whatever the template: placement compares");
    assertEquals(Optional.empty(), directory.image("h1", "c".repeat(64), null));
    assertEquals(
        Optional.empty(), directory.image("h2", null, null), "not a host of this directory");
  }
}
