package dev.kindling.host.images;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kindling.workflows.host.ImageRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code manifest.json} in an image directory says about the image.
 *
 * @param id the image id (content hash of the recipe)
 * @param kernelCmdline the base kernel command line this image needs; a VMM driver appends the
 *     guest's network ({@code kindling.ip=}, {@code kindling.gw=}) and machine-specific arguments
 * @param units the Kindling units the guest runs (what the agent reports)
 * @param ports guest TCP ports by role: {@code agent}, {@code vnc}, {@code websockify}
 * @param rootfsBytes size of {@code rootfs.ext4}
 * @param usedBytes bytes in use inside the ext4 file system
 * @param buildSeconds how long the build took
 * @param template the template the image was built for
 * @param defaults the template's guest size and screen, used when a session names none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
    String id,
    String suite,
    String mirror,
    String kernelVersion,
    String kernelCmdline,
    String rootfs,
    String kernel,
    String initrd,
    List<PackageVersion> packages,
    List<String> units,
    List<String> maskedUnits,
    Map<String, Integer> ports,
    long rootfsBytes,
    long usedBytes,
    double buildSeconds,
    long builtAtEpochSeconds,
    String builderVersion,
    String template,
    Defaults defaults) {

  /**
   * A template's defaults as the host reads them when booting the image.
   *
   * @param egress what a session of the template may reach when it names nothing itself (canonical
   *     {@code EgressRule} entries; empty for none)
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Defaults(
      int memoryMib, int vcpus, int screenWidth, int screenHeight, List<String> egress) {
    public Defaults {
      egress = egress == null ? List.of() : List.copyOf(egress);
    }

    public Defaults(int memoryMib, int vcpus, int screenWidth, int screenHeight) {
      this(memoryMib, vcpus, screenWidth, screenHeight, List.of());
    }
  }

  private static final Logger log = LoggerFactory.getLogger(Manifest.class);

  public static final String FILE = "manifest.json";
  public static final String ROOTFS = "rootfs.ext4";
  public static final String KERNEL = "vmlinuz";

  /** The same kernel as an uncompressed ELF file, which Firecracker boots. */
  public static final String ELF_KERNEL = "vmlinux";

  public static final String INITRD = "initrd.img";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ImageRef toImageRef() {
    return new ImageRef(id, null, kernelVersion, builtAtEpochSeconds, template);
  }

  public static Manifest read(Path file) {
    try {
      return JSON.readValue(file.toFile(), Manifest.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read image manifest " + file, e);
    }
  }

  /** The manifest of a complete published image with this id in {@code dir}, or null. */
  public static Manifest published(Path dir, String id) {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      Manifest manifest = read(file);
      return id.equals(manifest.id()) ? manifest : null;
    } catch (UncheckedIOException e) {
      log.warn("ignoring unreadable manifest {}: {}", file, e.getMessage());
      return null;
    }
  }

  public void write(Path file) {
    try {
      JSON.writeValue(file.toFile(), this);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write image manifest " + file, e);
    }
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Manifest fromJson(String json) {
    try {
      return JSON.readValue(json, Manifest.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static <T> T parse(Path file, Class<T> type) {
    try {
      return JSON.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
