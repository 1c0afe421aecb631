package dev.kindling.activities.vmm;

import java.nio.file.Path;

/**
 * Everything a VMM needs to start one VM. Paths are absolute; {@code kernelCmdline} is complete
 * (image arguments, guest addressing and extra arguments already joined).
 *
 * @param vmDir the VM's run directory, which holds its pid file, sockets, serial log and disk
 *     overlay
 * @param baseDisk the read-only disk the VM's copy-on-write overlay is backed by
 */
public record VmSpec(
    String vmId,
    String imageId,
    Path vmDir,
    String namespace,
    String tap,
    String guestMac,
    int memoryMib,
    int vcpus,
    Path kernel,
    Path initrd,
    Path baseDisk,
    String kernelCmdline) {

  public Path pidFile() {
    return vmDir.resolve("vmm.pid");
  }

  public Path serialLog() {
    return vmDir.resolve("serial.log");
  }

  public Path qmpSocket() {
    return vmDir.resolve("qmp.sock");
  }

  public Path apiSocket() {
    return vmDir.resolve("firecracker.sock");
  }

  public Path overlay() {
    return vmDir.resolve("overlay.qcow2");
  }
}
