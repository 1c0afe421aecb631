package dev.kindling.activities.vmm;

import java.nio.file.Path;

/**
 * A VMM process that runs a guest.
 *
 * @param accelerator "kvm" or "tcg"
 * @param startMillis from spawning the VMM to the VMM reporting the guest running
 */
public record RunningVm(
    String vmId,
    String vmm,
    String accelerator,
    long pid,
    Path vmDir,
    long startedAtEpochMillis,
    long startMillis) {

  public Path serialLog() {
    return vmDir.resolve("serial.log");
  }

  public Path qmpSocket() {
    return vmDir.resolve("qmp.sock");
  }

  public Path apiSocket() {
    return vmDir.resolve("firecracker.sock");
  }
}
