package dev.kindling.workflows.cleanup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * What exists on a host that Kindling made: one entry per VM id, whichever parts remain.
 *
 * @param deployment the Temporal deployment ({@code host:port/namespace}) of the worker that
 *     answered
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostInventory(String hostId, List<HostVm> vms, String deployment) {

  /**
   * @param sessionId from the VM's ownership record, or null when it has none
   * @param ownerWorkflowId the workflow its ownership record names (a session's or an image
   *     build's), or null
   * @param deployment the other Temporal deployment that owns it and may still want it; null when
   *     it is this deployment's, names none, or belonged to an in-memory server that is gone
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record HostVm(
      String vmId,
      String sessionId,
      boolean namespace,
      boolean vmmRunning,
      boolean files,
      String ownerWorkflowId,
      String deployment) {

    /**
     * Owned by another Temporal deployment than {@code ours}, whose reconciler decides about it.
     */
    public boolean foreignTo(String ours) {
      return deployment != null && ours != null && !deployment.equals(ours);
    }
  }
}
