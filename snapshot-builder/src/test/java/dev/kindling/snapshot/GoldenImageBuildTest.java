package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.images.PackageVersion;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Builds (or reuses) the real golden image from Debian packages and checks what was published.
 * Booting it is verified end to end elsewhere.
 */
@Tag("vm")
@RequiresHost({HostCapability.ROOT, HostCapability.DEBOOTSTRAP, HostCapability.VM_TESTS_ENABLED})
class GoldenImageBuildTest {

  @Test
  void buildsTheGoldenImageAndPublishesItsFilesAndManifest() throws Exception {
    HostPaths paths = HostPaths.fromEnvironment();
    BuildOptions options = BuildOptions.defaults(paths);
    BuiltImage image = new ImageBuilder().build(options);

    Manifest manifest = image.manifest();
    assertEquals(options.recipe().imageId(), manifest.id());
    assertEquals(paths.imageDir(manifest.id()), image.dir());
    assertTrue(Files.size(image.kernel()) > 1_000_000, "kernel present");
    assertTrue(Files.size(image.initrd()) > 100_000, "initrd present");
    assertEquals(manifest.rootfsBytes(), Files.size(image.rootfs()));
    assertTrue(manifest.usedBytes() > 0 && manifest.usedBytes() < manifest.rootfsBytes());
    assertTrue(manifest.kernelCmdline().contains("root=/dev/vda"));
    assertTrue(image.kernel().getFileName().toString().equals("vmlinuz"));
    Path vmlinux = image.dir().resolve(Manifest.ELF_KERNEL);
    assertTrue(Files.size(vmlinux) > Files.size(image.kernel()), "the ELF kernel, uncompressed");
    try (var in = Files.newInputStream(vmlinux)) {
      assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F', 2}, in.readNBytes(5), "64-bit ELF");
    }

    Map<String, String> packages =
        manifest.packages().stream()
            .collect(Collectors.toMap(PackageVersion::name, PackageVersion::version));
    for (String wanted :
        List.of("systemd", "python3", "xvfb", "openbox", "x11vnc", "python3-websockify")) {
      assertTrue(packages.containsKey(wanted), wanted + " installed");
    }
    for (String purged : List.of("libllvm15", "libgl1-mesa-dri", "python3-numpy")) {
      assertFalse(packages.containsKey(purged), purged + " purged");
    }
    assertEquals(GuestImageSpec.UNITS, manifest.units());

    // The file system is a raw ext4 labelled for the guest, with the units and agent inside and no
    // VNC password.
    String superblock =
        Commands.check(
            List.of("dumpe2fs", "-h", image.rootfs().toString()), Duration.ofSeconds(30));
    assertTrue(superblock.contains("kindling-root"), "label");
    String units = debugfs(image, "ls -l /etc/systemd/system/multi-user.target.wants");
    for (String unit : GuestImageSpec.ENABLED_UNITS) {
      assertTrue(units.contains(unit), unit + " enabled");
    }
    assertTrue(
        debugfs(image, "stat /usr/local/lib/kindling/kindling-agent").contains("Mode:  0755"));
    assertFalse(debugfs(image, "ls /run").contains("vncpasswd"));
    assertTrue(debugfs(image, "ls /usr/share/doc/systemd").contains("copyright"));
    // The default template: its app's configuration, restart policy and screen, and its user's
    // home.
    assertTrue(
        debugfs(image, "cat /etc/kindling/app.json").contains("\"template\" : \"terminal\""));
    assertTrue(
        debugfs(image, "cat /etc/systemd/system/kindling-app.service.d/on-exit.conf")
            .contains("Restart=always"));
    assertTrue(
        debugfs(image, "cat /etc/kindling/screen.env").contains("KINDLING_SCREEN=1280x800x24"));
    assertTrue(
        debugfs(image, "cat /etc/passwd")
            .contains("kindling:x:1000:1000::/home/kindling:/bin/bash"));
    assertTrue(debugfs(image, "stat /home/kindling/.bash_profile").contains("User:  1000"));
    assertFalse(debugfs(image, "ls /usr/share/man").contains("man1"), "no manuals");

    BuiltImage again = new ImageBuilder().build(options);
    assertTrue(again.cacheHit());
    LoggerFactory.getLogger(GoldenImageBuildTest.class)
        .info(
            "image {}: first call {} ms (cache hit: {}), second call {} ms",
            manifest.id(),
            image.duration().toMillis(),
            image.cacheHit(),
            again.duration().toMillis());
    assertEquals(manifest, again.manifest());
  }

  /**
   * A package the mirror does not have fails the build as an invalid template naming it, and
   * publishes nothing.
   */
  @Test
  void aPackageTheMirrorLacksFailsTheBuildNamingIt() throws Exception {
    HostPaths paths = HostPaths.fromEnvironment();
    Path dir = Files.createTempDirectory("kindling-template-");
    try {
      Files.writeString(
          dir.resolve(Templates.RECIPE),
          """
          {"id": "no-such-package", "packages": ["xterm", "kindling-no-such-package"],
           "app": {"argv": ["xterm"], "window": {"wmClass": "^XTerm$"}}}
          """);
      BuildOptions options = BuildOptions.forTemplate(Templates.fromDirectory(dir), paths);
      InvalidTemplateException failure =
          assertThrows(InvalidTemplateException.class, () -> new ImageBuilder().build(options));
      assertEquals("packages[1]", failure.field(), failure.getMessage());
      assertTrue(failure.getMessage().contains("kindling-no-such-package"), failure.getMessage());
      assertFalse(Files.exists(paths.imageDir(options.recipe().imageId())), "nothing published");
    } finally {
      FileTrees.deleteRecursively(dir);
    }
  }

  private static String debugfs(BuiltImage image, String request) {
    return Commands.check(
        List.of("debugfs", "-R", request, image.rootfs().toString()), Duration.ofSeconds(30));
  }
}
