package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * What a pool reports: its policy, image and VMs, and what it did since it started.
 *
 * @param target the ready count it keeps now: the policy's, cut to the memory cap
 * @param imageId the image it prepares VMs of; null until the host has one
 * @param preparing VMs being booted and proven ready
 * @param replaced VMs destroyed because they died, aged out or were of an older image
 * @param lastProblem the last failure of preparing or checking, or null
 * @param heldVmIds the VMs the pool holds: ready, being prepared or being destroyed
 * @param handedOut the last claims that handed out a VM, whose claimants may not have taken their
 *     VM over yet (its ownership record still names the pool)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolState(
    String hostId,
    String template,
    PoolPolicy policy,
    int target,
    String imageId,
    List<PooledVm> ready,
    int preparing,
    long claims,
    long misses,
    long replaced,
    String lastProblem,
    List<String> heldVmIds,
    List<PoolClaim> handedOut) {

  public boolean holds(String vmId) {
    return heldVmIds != null && heldVmIds.contains(vmId);
  }

  /** The claim that handed {@code vmId} out, if it is among the last ones. */
  public java.util.Optional<PoolClaim> handedOut(String vmId) {
    return handedOut == null
        ? java.util.Optional.empty()
        : handedOut.stream().filter(c -> c.claimed() && c.vm().vmId().equals(vmId)).findFirst();
  }
}
