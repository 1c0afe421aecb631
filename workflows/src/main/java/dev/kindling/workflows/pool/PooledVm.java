package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.VmRef;

/**
 * A ready VM a pool holds: booted (restored or cold), proven ready with the pool's own password,
 * serving no session and without egress.
 *
 * @param networkRequestId the request that made its network, which the claiming session's teardown
 *     deletes it with
 * @param bootMode how the pool started it (RESTORE or COLD)
 * @param appOnExit the app's policy as its readiness reported it (a hand-over that leaves the app
 *     as it is does not ask again)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PooledVm(
    VmRef vm,
    String networkRequestId,
    ImageRef image,
    String bootMode,
    long readyAtMillis,
    String appOnExit) {

  public String vmId() {
    return vm.vmId();
  }
}
