package dev.kindling.snapshot;

import dev.kindling.activities.host.HostPaths;
import java.util.ArrayList;
import java.util.List;

/**
 * How to build an image.
 *
 * @param suite Debian suite, like the host's
 * @param mirror Debian mirror URL; see {@link DebianMirror}
 * @param packages packages on top of {@code minbase}
 * @param extraMaskedUnits units additionally masked in this image, e.g. {@code kindling-websockify.service}
 *     for a negative test; they change the image id
 * @param paths where the cache lives
 */
public record BuildOptions(String suite, String mirror, List<String> packages, List<String> extraMaskedUnits, HostPaths paths) {
  public BuildOptions {
    packages = List.copyOf(packages);
    extraMaskedUnits = List.copyOf(extraMaskedUnits);
    for (String unit : extraMaskedUnits) {
      if (!unit.matches("[A-Za-z0-9@_.:-]+\\.(service|socket|timer|path|target|mount)")) {
        throw new IllegalArgumentException("not a unit name: " + unit);
      }
    }
    for (String name : packages) {
      if (!name.matches("[a-z0-9][a-z0-9+.-]+")) {
        throw new IllegalArgumentException("not a Debian package name: " + name);
      }
    }
    if (!suite.matches("[a-z]+")) {
      throw new IllegalArgumentException("not a Debian suite: " + suite);
    }
  }

  /** The default image for this host: its suite, its mirror, the standard packages. */
  public static BuildOptions defaults(HostPaths paths) {
    String suite = GuestImageSpec.DEFAULT_SUITE;
    return new BuildOptions(suite, DebianMirror.resolve(suite), GuestImageSpec.PACKAGES, List.of(), paths);
  }

  public BuildOptions withMirror(String value) {
    return new BuildOptions(suite, value, packages, extraMaskedUnits, paths);
  }

  public BuildOptions withExtraMaskedUnits(List<String> units) {
    return new BuildOptions(suite, mirror, packages, units, paths);
  }

  public BuildOptions withPaths(HostPaths value) {
    return new BuildOptions(suite, mirror, packages, extraMaskedUnits, value);
  }

  /** The full recipe, whose hash is the image id. */
  public ImageRecipe recipe() {
    List<String> masked = new ArrayList<>(GuestImageSpec.MASKED_UNITS);
    masked.addAll(extraMaskedUnits);
    return new ImageRecipe(suite, mirror, packages, GuestImageSpec.PURGED_PACKAGES,
        GuestImageSpec.LATE_PURGED_PACKAGES, GuestImageSpec.UNITS,
        GuestImageSpec.ENABLED_UNITS, masked, GuestImageSpec.KERNEL_CMDLINE, GuestFiles.load(),
        GuestImageSpec.BUILDER_VERSION);
  }
}
