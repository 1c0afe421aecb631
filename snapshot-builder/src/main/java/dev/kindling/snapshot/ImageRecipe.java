package dev.kindling.snapshot;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Everything that decides what an image contains. The image id is the sha-256 of this recipe's
 * canonical form, never of the built files (debootstrap output is not byte-reproducible).
 *
 * @param suite Debian suite, e.g. {@code bookworm}
 * @param mirror Debian mirror URL the packages come from
 * @param packages packages asked of debootstrap beyond {@code minbase}
 * @param template the template's id
 * @param templatePackages packages the template installs on top of the bootstrapped base
 * @param templateDefaults the template's guest size, e.g. {@code memoryMib=512 vcpus=1}: written
 *     into the image's manifest, so part of what the image is
 * @param gpuPackages packages removed from every image even when a template's packages depend on
 *     them (GPU drivers, loaded only through dlopen, and what only they load)
 * @param purgedPackages packages removed after the template's packages are installed even though
 *     others depend on them (Mesa's DRI drivers and LLVM, numpy, ...): nothing in the guest loads
 *     them at run time. Packages the template's packages need are kept.
 * @param units the Kindling units the guest runs and the agent reports, in start order
 * @param enabledUnits unit files linked into {@code multi-user.target.wants}
 * @param maskedUnits units masked to shorten boot (timers, gettys, udev in the root file system)
 * @param kernelCmdline the base kernel command line the image needs
 * @param guestFiles the files installed into the guest
 * @param builderVersion bumped whenever the build steps change what they produce
 */
public record ImageRecipe(
    String suite,
    String mirror,
    List<String> packages,
    String template,
    List<String> templatePackages,
    String templateDefaults,
    List<String> gpuPackages,
    List<String> purgedPackages,
    List<String> latePurgedPackages,
    List<String> units,
    List<String> enabledUnits,
    List<String> maskedUnits,
    String kernelCmdline,
    List<GuestFile> guestFiles,
    String builderVersion) {

  public ImageRecipe {
    packages = List.copyOf(packages);
    templatePackages = List.copyOf(templatePackages);
    gpuPackages = List.copyOf(gpuPackages);
    purgedPackages = List.copyOf(purgedPackages);
    latePurgedPackages = List.copyOf(latePurgedPackages);
    units = List.copyOf(units);
    enabledUnits = List.copyOf(enabledUnits);
    maskedUnits = List.copyOf(maskedUnits);
    guestFiles = List.copyOf(guestFiles);
  }

  /** The image id: 64 lowercase hex digits. */
  public String imageId() {
    return HexFormat.of().formatHex(sha256(canonical().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * One line per input, lists sorted where order carries no meaning, so equal recipes always hash
   * equally and any changed input changes the hash.
   */
  String canonical() {
    StringBuilder out = new StringBuilder();
    line(out, "builder", builderVersion);
    line(out, "suite", suite);
    line(out, "mirror", mirror);
    sorted(packages).forEach(p -> line(out, "package", p));
    line(out, "template", template);
    sorted(templatePackages).forEach(p -> line(out, "template-package", p));
    line(out, "template-defaults", templateDefaults);
    sorted(gpuPackages).forEach(p -> line(out, "purge-always", p));
    sorted(purgedPackages).forEach(p -> line(out, "purge", p));
    sorted(latePurgedPackages).forEach(p -> line(out, "late-purge", p));
    units.forEach(u -> line(out, "unit", u));
    sorted(enabledUnits).forEach(u -> line(out, "enable", u));
    sorted(maskedUnits).forEach(u -> line(out, "mask", u));
    line(out, "cmdline", kernelCmdline);
    guestFiles.stream()
        .sorted(Comparator.comparing(GuestFile::path))
        .forEach(
            f ->
                line(
                    out,
                    "file",
                    f.path() + " " + Integer.toOctalString(f.mode()) + " " + f.sha256()));
    return out.toString();
  }

  private static void line(StringBuilder out, String key, String value) {
    if (value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(key + " must not contain a newline");
    }
    out.append(key).append('=').append(value).append('\n');
  }

  private static List<String> sorted(List<String> values) {
    List<String> copy = new ArrayList<>(values);
    copy.sort(null);
    return copy;
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
