package dev.kindling.activities.vmm;

import java.time.Duration;
import java.util.Map;

/**
 * How this host runs QEMU.
 *
 * @param binary default {@code qemu-system-x86_64}; env KINDLING_QEMU
 * @param machine default {@code pc}; env KINDLING_QEMU_MACHINE ({@code pc} or {@code microvm})
 * @param accel default {@code auto}; env KINDLING_ACCEL ({@code auto}, {@code kvm} or {@code tcg})
 * @param tbSizeMib TCG translation cache size; default 64 (QEMU's 1 GiB default wastes memory per VM)
 * @param startTimeout how long the VMM may take to report the guest running; default 30 s
 */
public record QemuConfig(String binary, MachineType machine, String accel, int tbSizeMib, Duration startTimeout) {

  public static QemuConfig defaults() {
    return new QemuConfig("qemu-system-x86_64", MachineType.PC, "auto", 64, Duration.ofSeconds(30));
  }

  public static QemuConfig fromEnvironment() {
    return from(System.getenv());
  }

  public static QemuConfig from(Map<String, String> env) {
    QemuConfig d = defaults();
    return new QemuConfig(
        env.getOrDefault("KINDLING_QEMU", d.binary()),
        MachineType.parse(env.get("KINDLING_QEMU_MACHINE")),
        env.getOrDefault("KINDLING_ACCEL", d.accel()),
        d.tbSizeMib(),
        d.startTimeout());
  }

  public QemuConfig withMachine(MachineType type) {
    return new QemuConfig(binary, type, accel, tbSizeMib, startTimeout);
  }

  public QemuConfig withAccel(String value) {
    return new QemuConfig(binary, machine, value, tbSizeMib, startTimeout);
  }
}
