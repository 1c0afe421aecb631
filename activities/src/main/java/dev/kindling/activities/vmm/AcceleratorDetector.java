package dev.kindling.activities.vmm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Decides between KVM and TCG. {@code /dev/kvm} alone proves little: on hosts whose KVM is KVM-PVM
 * ({@code /sys/module/kvm_pvm}) it runs only PVM-enabled guest kernels, so a stock Debian kernel
 * needs TCG there. The setting {@code vmm.accelerator} ({@code auto}, {@code kvm} or {@code tcg})
 * overrides the detection.
 */
public final class AcceleratorDetector {
  private final Path root;

  /**
   * @param root the file-system root to inspect; "/" on a real host, a fixture directory in tests
   */
  public AcceleratorDetector(Path root) {
    this.root = root;
  }

  public static AcceleratorChoice detect(String setting) {
    return new AcceleratorDetector(Path.of("/")).choose(setting);
  }

  public AcceleratorChoice choose(String setting) {
    String mode =
        setting == null || setting.isBlank() ? "auto" : setting.strip().toLowerCase(Locale.ROOT);
    return switch (mode) {
      case "kvm" -> new AcceleratorChoice(Accelerator.KVM, "vmm.accelerator=kvm forces KVM");
      case "tcg" -> new AcceleratorChoice(Accelerator.TCG, "vmm.accelerator=tcg forces TCG");
      case "auto" -> detectAuto();
      default ->
          throw new dev.kindling.workflows.InvalidInputException(
              "vmm.accelerator", "'" + setting + "' is not one of auto, kvm, tcg");
    };
  }

  private AcceleratorChoice detectAuto() {
    Path kvm = root.resolve("dev/kvm");
    if (!Files.exists(kvm)) {
      return new AcceleratorChoice(
          Accelerator.TCG,
          "/dev/kvm does not exist (no KVM on this host or not passed into the container)");
    }
    if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
      return new AcceleratorChoice(
          Accelerator.TCG,
          "/dev/kvm is not readable and writable by this user (add it to group 'kvm')");
    }
    if (Files.exists(root.resolve("sys/module/kvm_pvm"))) {
      return new AcceleratorChoice(
          Accelerator.TCG,
          "/dev/kvm is KVM-PVM (/sys/module/kvm_pvm is loaded), which runs only PVM-enabled guest kernels; stock guest kernels need TCG");
    }
    if (Files.exists(root.resolve("sys/module/kvm_intel"))
        || Files.exists(root.resolve("sys/module/kvm_amd"))) {
      return new AcceleratorChoice(
          Accelerator.KVM, "/dev/kvm is usable and kvm_intel or kvm_amd is loaded");
    }
    return new AcceleratorChoice(
        Accelerator.TCG,
        "/dev/kvm exists but neither kvm_intel nor kvm_amd is loaded; its backend is unknown");
  }
}
