package dev.kindling.activities.vmm;

import java.time.Duration;

/**
 * How this host runs QEMU. The caller decides every value: the worker passes its settings {@code
 * vmm.machine} and {@code vmm.accelerator}; nothing here reads the environment.
 *
 * @param binary default {@code qemu-system-x86_64}
 * @param machine default {@code pc} ({@code pc} or {@code microvm})
 * @param accel default {@code auto} ({@code auto}, {@code kvm} or {@code tcg})
 * @param tbSizeMib TCG translation cache size; default 64 (QEMU's 1 GiB default wastes memory per
 *     VM)
 * @param startTimeout how long the VMM may take to report the guest running; default 30 s
 */
public record QemuConfig(
    String binary, MachineType machine, String accel, int tbSizeMib, Duration startTimeout) {

  /**
   * The defaults, which are also those of the settings {@code vmm.machine} and {@code
   * vmm.accelerator}.
   */
  public static QemuConfig defaults() {
    return new QemuConfig("qemu-system-x86_64", MachineType.PC, "auto", 64, Duration.ofSeconds(30));
  }

  public QemuConfig withMachine(MachineType type) {
    return new QemuConfig(binary, type, accel, tbSizeMib, startTimeout);
  }

  public QemuConfig withAccel(String value) {
    return new QemuConfig(binary, machine, value, tbSizeMib, startTimeout);
  }
}
