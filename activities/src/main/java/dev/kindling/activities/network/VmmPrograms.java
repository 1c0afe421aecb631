package dev.kindling.activities.network;

import java.util.List;

/**
 * The programs a VMM driver needs on this host, and how to get them: what preflight checks.
 *
 * @param check the preflight check's name
 * @param programs names looked up on PATH, or paths
 * @param fix what to do when one is missing
 */
public record VmmPrograms(String check, List<String> programs, String fix) {

  public static VmmPrograms qemu(String qemuBinary) {
    return new VmmPrograms(
        "qemu", List.of(qemuBinary, "qemu-img"), "apt-get install qemu-system-x86 qemu-utils");
  }

  public static VmmPrograms firecracker(String firecrackerBinary) {
    return new VmmPrograms(
        "firecracker",
        List.of(firecrackerBinary),
        "install Firecracker (1.8 or newer; no Debian package) and set vmm.firecracker to it");
  }
}
