package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Starts one VM. Per-VM secrets are generated on the host and never travel through Temporal.
 *
 * @param mode COLD or RESTORE (the workflow resolves AUTO before booting)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootRequest(
    String requestId,
    String vmId,
    ImageRef image,
    VmNetwork network,
    BootMode mode,
    int memoryMib,
    int vcpus) {

  public BootRequest withNetwork(VmNetwork value) {
    return new BootRequest(requestId, vmId, image, value, mode, memoryMib, vcpus);
  }
}
