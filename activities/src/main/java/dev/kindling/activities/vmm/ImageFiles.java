package dev.kindling.activities.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.HostPaths;
import dev.kindling.workflows.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A golden image's files on this host, as the image builder lays them out.
 *
 * @param memoryMib the guest memory its template asks for, used when a boot names none
 * @param vcpus the vCPUs its template asks for, used when a boot names none
 */
public record ImageFiles(String imageId, Path dir, String kernelCmdline, int memoryMib, int vcpus) {
  /**
   * The guest size when nothing names one: a template without {@code defaults} (the template's
   * defaults are these) and an image whose manifest names no template defaults (built before
   * templates).
   */
  public static final int DEFAULT_MEMORY_MIB = 512;

  public static final int DEFAULT_VCPUS = 1;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> REQUIRED =
      List.of("rootfs.ext4", "vmlinuz", "initrd.img", "manifest.json");

  /**
   * Reads the image's manifest; fails with {@link FailureKind#UNKNOWN_IMAGE} when a file is
   * missing.
   */
  public static ImageFiles open(HostPaths paths, String imageId) {
    Path dir = paths.imageDir(imageId);
    for (String name : REQUIRED) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        throw new VmmException(
            FailureKind.UNKNOWN_IMAGE,
            "image " + imageId + " is not on this host: " + dir.resolve(name) + " is missing");
      }
    }
    try {
      JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile());
      JsonNode defaults = manifest.path("defaults");
      return new ImageFiles(
          imageId,
          dir,
          manifest.path("kernelCmdline").asText("console=ttyS0"),
          defaults.path("memoryMib").asInt(DEFAULT_MEMORY_MIB),
          defaults.path("vcpus").asInt(DEFAULT_VCPUS));
    } catch (IOException e) {
      throw new VmmException(
          FailureKind.UNKNOWN_IMAGE,
          "image " + imageId + " has an unreadable manifest: " + e.getMessage(),
          e);
    }
  }

  public Path rootfs() {
    return dir.resolve("rootfs.ext4");
  }

  public Path kernel() {
    return dir.resolve("vmlinuz");
  }

  public Path initrd() {
    return dir.resolve("initrd.img");
  }
}
