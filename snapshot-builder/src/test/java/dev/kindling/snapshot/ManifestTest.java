package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  static Manifest sample(String id) {
    return new Manifest(id, "bookworm", "http://mirror.example/debian", "6.1.0-50-cloud-amd64",
        GuestImageSpec.KERNEL_CMDLINE, Manifest.ROOTFS, Manifest.KERNEL, Manifest.INITRD,
        List.of(new PackageVersion("systemd", "252.38-1~deb12u1"), new PackageVersion("x11vnc", "0.9.16-9")),
        GuestImageSpec.UNITS, GuestImageSpec.MASKED_UNITS, GuestImageSpec.PORTS, 300L << 20, 180L << 20, 142.5,
        1_760_000_000L, GuestImageSpec.BUILDER_VERSION);
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
  void itsImageRefCarriesIdKernelAndBuildTime() {
    Manifest manifest = sample("c".repeat(64));
    var ref = manifest.toImageRef();
    assertEquals(manifest.id(), ref.imageId());
    assertEquals("6.1.0-50-cloud-amd64", ref.kernelVersion());
    assertEquals(1_760_000_000L, ref.builtAtEpochSeconds());
    assertEquals(false, ref.hasSnapshot());
  }
}
