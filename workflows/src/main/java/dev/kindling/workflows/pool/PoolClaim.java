package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A pool's answer to a claim: the VM it hands to {@code claimant}, or none with the reason.
 *
 * @param vm the claimed VM, which from now on belongs to the claimant alone; null for a miss
 * @param reason why there was no VM; null for a claim
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolClaim(String claimant, PooledVm vm, String reason) {

  public static PoolClaim miss(String claimant, String reason) {
    return new PoolClaim(claimant, null, reason);
  }

  public boolean claimed() {
    return vm != null;
  }
}
