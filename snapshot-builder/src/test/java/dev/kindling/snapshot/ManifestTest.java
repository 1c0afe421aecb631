package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageFiles;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.images.PackageVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  /** A manifest of an image of the default template. */
  static Manifest sample(String id) {
    return sample(id, Templates.DEFAULT);
  }

  /**
   * A manifest of an image of {@code template}; null for an image built before templates (no
   * defaults either).
   */
  static Manifest sample(String id, String template) {
    return sample(id, template, template == null ? null : new Manifest.Defaults(512, 1, 1280, 800));
  }

  static Manifest sample(String id, String template, Manifest.Defaults defaults) {
    return new Manifest(
        id,
        "bookworm",
        "http://mirror.example/debian",
        "6.1.0-50-cloud-amd64",
        GuestImageSpec.KERNEL_CMDLINE,
        Manifest.ROOTFS,
        Manifest.KERNEL,
        Manifest.INITRD,
        List.of(
            new PackageVersion("systemd", "252.38-1~deb12u1"),
            new PackageVersion("x11vnc", "0.9.16-9")),
        GuestImageSpec.UNITS,
        GuestImageSpec.MASKED_UNITS,
        GuestImageSpec.PORTS,
        300L << 20,
        180L << 20,
        142.5,
        1_760_000_000L,
        GuestImageSpec.BUILDER_VERSION,
        template,
        defaults);
  }

  @Test
  void roundTripsThroughItsFile(@TempDir Path dir) {
    Manifest manifest = sample("a".repeat(64));
    Path file = dir.resolve(Manifest.FILE);
    manifest.write(file);
    assertEquals(manifest, Manifest.read(file));
  }

  @Test
  void ignoresFieldsItDoesNotKnow(@TempDir Path dir) throws Exception {
    Manifest manifest = sample("b".repeat(64));
    String json = manifest.toJson().replaceFirst("\\{", "{\"addedLater\": {\"x\": 1},");
    Path file = dir.resolve(Manifest.FILE);
    Files.writeString(file, json);
    assertEquals(manifest, Manifest.read(file));
  }

  @Test
  void itsImageRefCarriesIdKernelBuildTimeAndTemplate() {
    Manifest manifest = sample("c".repeat(64), "browser");
    var ref = manifest.toImageRef();
    assertEquals(manifest.id(), ref.imageId());
    assertEquals("6.1.0-50-cloud-amd64", ref.kernelVersion());
    assertEquals(1_760_000_000L, ref.builtAtEpochSeconds());
    assertEquals("browser", ref.template());
    assertEquals(false, ref.hasSnapshot());
  }

  @Test
  void aManifestFromBeforeTemplatesReadsWithoutTemplateOrDefaults(@TempDir Path dir)
      throws Exception {
    String json = sample("d".repeat(64), null).toJson();
    assertTrue(json.contains("\"template\""), json);
    // As an older builder wrote it: neither key at all.
    String older =
        json.replaceAll(",\\s*\"template\"\\s*:\\s*null", "")
            .replaceAll(",\\s*\"defaults\"\\s*:\\s*null", "");
    assertFalse(older.contains("\"template\"") || older.contains("\"defaults\""), older);
    Path file = dir.resolve(Manifest.FILE);
    Files.writeString(file, older);

    Manifest read = Manifest.read(file);

    assertNull(read.template());
    assertNull(read.defaults());
    assertNull(read.toImageRef().template());
  }

  @Test
  void theDefaultsAreTheTemplatesGuestSizeAndScreen() {
    Template browser = Templates.builtIn("browser");
    assertEquals(
        new Manifest.Defaults(
            browser.memoryMib(), browser.vcpus(), browser.screenWidth(), browser.screenHeight()),
        browser.manifestDefaults());
    assertEquals(new Manifest.Defaults(1024, 2, 1280, 800), browser.manifestDefaults());
  }

  @Test
  void theHostBootsWithTheDefaultsTheManifestNames(@TempDir Path cache) throws Exception {
    HostPaths paths = new HostPaths(cache, cache.resolve("run"));
    String sized = "e".repeat(64);
    String older = "f".repeat(64);
    imageFiles(paths, sample(sized, "browser", new Manifest.Defaults(1536, 2, 1920, 1080)));
    imageFiles(paths, sample(older, null));

    ImageFiles files = ImageFiles.open(paths, sized);
    assertEquals(1536, files.memoryMib());
    assertEquals(2, files.vcpus());
    assertEquals(GuestImageSpec.KERNEL_CMDLINE, files.kernelCmdline());
    // An image from before templates boots as every image did before: 512 MiB, one vCPU.
    ImageFiles fallback = ImageFiles.open(paths, older);
    assertEquals(512, fallback.memoryMib());
    assertEquals(1, fallback.vcpus());
  }

  /** The files a host needs of an image: stand-ins, and the manifest. */
  private static void imageFiles(HostPaths paths, Manifest manifest) throws Exception {
    Path dir = paths.imageDir(manifest.id());
    Files.createDirectories(dir);
    for (String name : List.of(Manifest.ROOTFS, Manifest.KERNEL, Manifest.INITRD)) {
      Files.writeString(dir.resolve(name), name);
    }
    manifest.write(dir.resolve(Manifest.FILE));
  }
}
