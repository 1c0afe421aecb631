package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A pool's answer to a claim: the VM it hands to the claiming run, or none with the reason.
 *
 * @param workflowId the claiming session's workflow
 * @param runId its run
 * @param vm the claimed VM, which from now on belongs to the claimant alone; null for a miss
 * @param reason why there was no VM; null for a claim
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolClaim(String workflowId, String runId, PooledVm vm, String reason) {

  public static PoolClaim miss(ClaimRequest request, String reason) {
    return new PoolClaim(request.workflowId(), request.runId(), null, reason);
  }

  public boolean claimed() {
    return vm != null;
  }

  public String claimant() {
    return workflowId + "/" + runId;
  }
}
