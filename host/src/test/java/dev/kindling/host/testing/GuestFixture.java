package dev.kindling.host.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.exec.Commands;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A tiny test guest laid out like a golden image ({@code rootfs.ext4}, {@code vmlinuz}, {@code
 * initrd.img}, {@code manifest.json}) in {@link HostPaths#imageDir}: Debian's stock kernel and a
 * busybox initramfs whose /init configures eth0 from {@code kindling.ip} and serves HTTP on 8080.
 * It boots in seconds under TCG. Built once from Debian's packages ({@code apt-get download},
 * {@code dpkg-deb -x}) and cached by its recipe, then by the content hash that is its image id.
 */
public final class GuestFixture {
  /**
   * Changing anything in the recipe (this, the init script, the module list) builds a new fixture.
   */
  private static final String RECIPE_VERSION = "guest-fixture-1";

  private static final List<String> MODULES =
      List.of(
          "net/core/failover",
          "drivers/net/net_failover",
          "drivers/virtio/virtio_ring",
          "drivers/virtio/virtio",
          "drivers/virtio/virtio_pci_legacy_dev",
          "drivers/virtio/virtio_pci_modern_dev",
          "drivers/virtio/virtio_pci",
          "drivers/virtio/virtio_mmio",
          "drivers/block/virtio_blk",
          "drivers/net/virtio_net");
  public static final String KERNEL_CMDLINE = "console=ttyS0 panic=-1 mitigations=off";
  private static final ObjectMapper JSON = new ObjectMapper();

  private GuestFixture() {}

  /** The fixture's image id in {@code paths}, building it first when this host has none. */
  public static synchronized String ensure(HostPaths paths) {
    try {
      String init = resource("guest-fixture/init");
      String recipe =
          sha256(
              (RECIPE_VERSION
                      + "\n"
                      + String.join(",", MODULES)
                      + "\n"
                      + KERNEL_CMDLINE
                      + "\n"
                      + init)
                  .getBytes(StandardCharsets.UTF_8));
      Path marker = paths.cacheDir().resolve("fixtures").resolve(recipe + ".image-id");
      if (Files.exists(marker)) {
        String imageId = Files.readString(marker).strip();
        if (Files.exists(paths.imageDir(imageId).resolve("manifest.json"))) {
          return imageId;
        }
      }
      String imageId = build(paths, init);
      Files.createDirectories(marker.getParent());
      Files.writeString(marker, imageId + "\n");
      return imageId;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the test guest fixture", e);
    }
  }

  private static String build(HostPaths paths, String init) throws IOException {
    Path work =
        Files.createDirectories(paths.cacheDir().resolve("fixtures"))
            .resolve("build-" + ProcessHandle.current().pid());
    deleteTree(work);
    Files.createDirectories(work);
    try {
      String kernelPackage = kernelPackage();
      download(work, "busybox-static", kernelPackage);
      Path kernelRoot = extract(work, kernelPackage, "kernel");
      Path busyboxRoot = extract(work, "busybox-static", "busybox");
      Path image = Files.createDirectories(work.resolve("image"));
      Path vmlinuz;
      try (Stream<Path> boot = Files.list(kernelRoot.resolve("boot"))) {
        vmlinuz =
            boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                .findFirst()
                .orElseThrow();
      }
      Files.copy(vmlinuz, image.resolve("vmlinuz"));
      Path modules;
      try (Stream<Path> dirs = Files.list(kernelRoot.resolve("lib/modules"))) {
        modules = dirs.findFirst().orElseThrow().resolve("kernel");
      }
      try (OutputStream out = Files.newOutputStream(image.resolve("initrd.img"));
          NewcArchive cpio = new NewcArchive(out)) {
        for (String dir :
            List.of("bin", "dev", "proc", "sys", "tmp", "www", "lib", "lib/modules")) {
          cpio.directory(dir);
        }
        cpio.charDevice("dev/console", 0600, 5, 1);
        cpio.file("init", 0755, init.getBytes(StandardCharsets.UTF_8));
        cpio.file("bin/busybox", 0755, Files.readAllBytes(busyboxRoot.resolve("bin/busybox")));
        for (String module : MODULES) {
          String name = module.substring(module.lastIndexOf('/') + 1) + ".ko";
          cpio.file(
              "lib/modules/" + name, 0644, Files.readAllBytes(modules.resolve(module + ".ko")));
        }
      }
      Path rootfs = image.resolve("rootfs.ext4");
      try (var file = new java.io.RandomAccessFile(rootfs.toFile(), "rw")) {
        file.setLength(16L << 20);
      }
      Commands.check(List.of("mkfs.ext4", "-q", "-F", rootfs.toString()), Duration.ofSeconds(60));
      String contentHash = sha256Of(image.resolve("vmlinuz"), image.resolve("initrd.img"), rootfs);
      Map<String, Object> manifest = new LinkedHashMap<>();
      manifest.put("imageId", contentHash);
      manifest.put("kind", "test-fixture");
      manifest.put("kernelPackage", kernelPackage);
      manifest.put("kernelCmdline", KERNEL_CMDLINE);
      manifest.put("builtAtEpochSeconds", System.currentTimeMillis() / 1000);
      JSON.writerWithDefaultPrettyPrinter()
          .writeValue(image.resolve("manifest.json").toFile(), manifest);
      Path target = paths.imageDir(contentHash);
      if (!Files.exists(target)) {
        Files.createDirectories(target.getParent());
        Files.move(image, target, StandardCopyOption.ATOMIC_MOVE);
      }
      return contentHash;
    } finally {
      deleteTree(work);
    }
  }

  /** The versioned package that Debian's {@code linux-image-amd64} currently depends on. */
  private static String kernelPackage() {
    String depends = Commands.check("apt-cache", "depends", "linux-image-amd64");
    return depends
        .lines()
        .map(String::strip)
        .filter(l -> l.startsWith("Depends: linux-image-"))
        .map(l -> l.substring("Depends: ".length()))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "apt-cache knows no linux-image-amd64 (run apt-get update): " + depends));
  }

  /**
   * {@code apt-get download} writes into its working directory, which {@code Commands} does not
   * set.
   */
  private static void download(Path dir, String... packages) throws IOException {
    List<String> argv =
        Stream.concat(Stream.of("apt-get", "download", "-q"), Stream.of(packages)).toList();
    Process process =
        new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (process.waitFor() != 0) {
        throw new IOException(argv + " failed: " + Commands.tail(output));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted downloading " + List.of(packages), e);
    }
  }

  private static Path extract(Path dir, String packageName, String into) throws IOException {
    Path deb;
    try (Stream<Path> files = Files.list(dir)) {
      deb =
          files
              .filter(
                  p ->
                      p.getFileName().toString().startsWith(packageName + "_")
                          && p.toString().endsWith(".deb"))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IOException(
                          "apt-get download left no " + packageName + " package in " + dir));
    }
    Path target = dir.resolve(into);
    Commands.check(
        List.of("dpkg-deb", "-x", deb.toString(), target.toString()), Duration.ofMinutes(3));
    return target;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = GuestFixture.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("missing test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String sha256Of(Path... files) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (Path file : files) {
        try (InputStream in = Files.newInputStream(file)) {
          for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
          }
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) {
    FileTrees.deleteRecursively(root);
  }
}
