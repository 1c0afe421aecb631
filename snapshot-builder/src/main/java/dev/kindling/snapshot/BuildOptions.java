package dev.kindling.snapshot;

import dev.kindling.host.HostPaths;
import java.util.ArrayList;
import java.util.List;

/**
 * How to build an image.
 *
 * @param suite Debian suite, like the host's
 * @param mirror Debian mirror URL; see {@link DebianMirror}
 * @param packages packages on top of {@code minbase}
 * @param extraMaskedUnits units additionally masked in this image, e.g. {@code
 *     kindling-websockify.service} for a negative test; they change the image id
 * @param template the template whose image this is
 * @param paths where the cache lives
 */
public record BuildOptions(
    String suite,
    String mirror,
    List<String> packages,
    List<String> extraMaskedUnits,
    Template template,
    HostPaths paths) {
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
    java.util.Objects.requireNonNull(template, "template");
    if (!suite.matches("[a-z]+")) {
      throw new IllegalArgumentException("not a Debian suite: " + suite);
    }
  }

  /**
   * The default template's image for this host: its suite, the mirror of its apt sources, the
   * standard packages.
   */
  public static BuildOptions defaults(HostPaths paths) {
    return forTemplate(Templates.builtIn(Templates.DEFAULT), paths);
  }

  /**
   * {@code template}'s image for this host, from the mirror of its apt sources (no {@code
   * debian.mirror} configured).
   */
  public static BuildOptions forTemplate(Template template, HostPaths paths) {
    return forTemplate(template, paths, "");
  }

  /**
   * {@code template}'s image for this host.
   *
   * @param mirror the setting {@code debian.mirror}: a Debian mirror URL, or blank for the mirror
   *     of this host's apt sources
   */
  public static BuildOptions forTemplate(Template template, HostPaths paths, String mirror) {
    String suite = GuestImageSpec.DEFAULT_SUITE;
    return new BuildOptions(
        suite,
        DebianMirror.resolve(suite, mirror),
        GuestImageSpec.PACKAGES,
        List.of(),
        template,
        paths);
  }

  public BuildOptions withMirror(String value) {
    return new BuildOptions(suite, value, packages, extraMaskedUnits, template, paths);
  }

  public BuildOptions withExtraMaskedUnits(List<String> units) {
    return new BuildOptions(suite, mirror, packages, units, template, paths);
  }

  public BuildOptions withTemplate(Template value) {
    return new BuildOptions(suite, mirror, packages, extraMaskedUnits, value, paths);
  }

  public BuildOptions withPaths(HostPaths value) {
    return new BuildOptions(suite, mirror, packages, extraMaskedUnits, template, value);
  }

  /** The full recipe, whose hash is the image id: Kindling's base and the template's additions. */
  public ImageRecipe recipe() {
    List<String> masked = new ArrayList<>(GuestImageSpec.MASKED_UNITS);
    masked.addAll(extraMaskedUnits);
    List<GuestFile> files = new ArrayList<>(GuestFiles.load());
    for (GuestFile added : template.guestFiles()) {
      if (files.stream().anyMatch(f -> f.path().equals(added.path()))) {
        throw new InvalidTemplateException(
            template.id(), "files", "'" + added.path() + "' is one of Kindling's own guest files");
      }
      files.add(added);
    }
    return new ImageRecipe(
        suite,
        mirror,
        packages,
        template.id(),
        template.packages(),
        "memoryMib="
            + template.memoryMib()
            + " vcpus="
            + template.vcpus()
            + (template.egress().isEmpty() ? "" : " egress=" + String.join(",", template.egress())),
        GuestImageSpec.GPU_PACKAGES,
        GuestImageSpec.PURGED_PACKAGES,
        GuestImageSpec.LATE_PURGED_PACKAGES,
        GuestImageSpec.UNITS,
        GuestImageSpec.ENABLED_UNITS,
        masked,
        GuestImageSpec.KERNEL_CMDLINE,
        files,
        GuestImageSpec.BUILDER_VERSION);
  }
}
