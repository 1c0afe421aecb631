package dev.kindling.workflows.cleanup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** What exists on a host that Kindling made: one entry per VM id, whichever parts remain. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostInventory(String hostId, List<HostVm> vms) {

  /**
   * @param sessionId from the VM's ownership record, or null when it has none
   * @param ownerWorkflowId the workflow its ownership record names (a session's or an image build's), or null
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record HostVm(String vmId, String sessionId, boolean namespace, boolean vmmRunning, boolean files, String ownerWorkflowId) {}
}
