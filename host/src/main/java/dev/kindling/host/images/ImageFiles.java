package dev.kindling.host.images;

import dev.kindling.host.HostPaths;
import dev.kindling.workflows.FailureKind;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A golden image's files on this host, as the image builder lays them out.
 *
 * @param memoryMib the guest memory its template asks for, used when a boot names none
 * @param vcpus the vCPUs its template asks for, used when a boot names none
 * @param egress the template's default egress allow-list (canonical entries; empty for none)
 */
public record ImageFiles(
    String imageId, Path dir, String kernelCmdline, int memoryMib, int vcpus, List<String> egress) {
  /**
   * The guest size when nothing names one: a template without {@code defaults} (the template's
   * defaults are these) and an image whose manifest names no template defaults (built before
   * templates).
   */
  public static final int DEFAULT_MEMORY_MIB = 512;

  public static final int DEFAULT_VCPUS = 1;

  private static final List<String> REQUIRED =
      List.of(Manifest.ROOTFS, Manifest.KERNEL, Manifest.INITRD, Manifest.FILE);

  /**
   * Reads the image's manifest; fails with {@link FailureKind#UNKNOWN_IMAGE} when a file is missing
   * or the manifest is unreadable.
   */
  public static ImageFiles open(HostPaths paths, String imageId) {
    Path dir = paths.imageDir(imageId);
    for (String name : REQUIRED) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        throw new UnknownImageException(
            imageId,
            "image " + imageId + " is not on this host: " + dir.resolve(name) + " is missing");
      }
    }
    Manifest manifest;
    try {
      manifest = Manifest.read(dir.resolve(Manifest.FILE));
    } catch (UncheckedIOException e) {
      throw new UnknownImageException(
          imageId, "image " + imageId + " has an unreadable manifest: " + e.getMessage());
    }
    Manifest.Defaults defaults = manifest.defaults();
    return new ImageFiles(
        imageId,
        dir,
        manifest.kernelCmdline() == null ? "console=ttyS0" : manifest.kernelCmdline(),
        defaults == null ? DEFAULT_MEMORY_MIB : defaults.memoryMib(),
        defaults == null ? DEFAULT_VCPUS : defaults.vcpus(),
        defaults == null ? List.of() : defaults.egress());
  }

  public Path rootfs() {
    return dir.resolve(Manifest.ROOTFS);
  }

  public Path kernel() {
    return dir.resolve(Manifest.KERNEL);
  }

  public Path initrd() {
    return dir.resolve(Manifest.INITRD);
  }
}
