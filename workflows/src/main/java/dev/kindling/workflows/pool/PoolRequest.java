package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * What a pool workflow starts from: its host, template and policy, and (after a continue-as-new)
 * the VMs and the claims that handed out VMs of the run before.
 *
 * @param vmMemoryMib guest memory of one pool VM (the template's default), for the memory cap
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolRequest(
    String hostId,
    String template,
    PoolPolicy policy,
    int vmMemoryMib,
    List<PooledVm> ready,
    List<PoolClaim> recentClaims) {

  public PoolRequest {
    ready = ready == null ? List.of() : List.copyOf(ready);
    recentClaims = recentClaims == null ? List.of() : List.copyOf(recentClaims);
  }

  public static PoolRequest start(
      String hostId, String template, PoolPolicy policy, int vmMemoryMib) {
    return new PoolRequest(hostId, template, policy, vmMemoryMib, List.of(), List.of());
  }
}
