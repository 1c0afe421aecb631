package dev.kindling.activities.pool;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.network.OwnershipRecord;
import dev.kindling.activities.readiness.ReadinessActivitiesImpl;
import dev.kindling.activities.temporal.CurrentActivity;
import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.host.HostPaths;
import dev.kindling.host.VmSecrets;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.pool.HandOverRequest;
import dev.kindling.workflows.pool.PoolActivities;
import java.nio.file.Path;

/**
 * Hands a claimed pool VM to its session on the VM's host: the ownership record names the session's
 * workflow (so the reconciler asks the session, not the pool, whether the VM is wanted), the VM
 * gets fresh secrets and the session's egress, and readiness runs again, delivering the new
 * password, the host's clock and entropy, and the session's launch.
 */
public final class HandOverActivitiesImpl implements PoolActivities {
  private final HostPaths paths;
  private final NetworkActivitiesImpl network;
  private final ReadinessActivitiesImpl readiness;

  public HandOverActivitiesImpl(
      HostPaths paths, NetworkActivitiesImpl network, ReadinessActivitiesImpl readiness) {
    this.paths = paths;
    this.network = network;
    this.readiness = readiness;
  }

  @Override
  public ReadinessReport handOver(HandOverRequest request) {
    HostFailures.typed(
        "handing over " + request.vm().vmId(),
        () -> {
          String vmId = Validation.vmId(request.vm().vmId());
          if (!vmId.equals(request.network().vmId())) {
            throw FailureKind.INVALID_INPUT.failure(
                "the network request is of " + request.network().vmId() + ", not " + vmId);
          }
          Path vmDir = paths.vmDir(vmId);
          String workflowId =
              CurrentActivity.context().map(c -> c.getInfo().getWorkflowId()).orElse(null);
          OwnershipRecord.transfer(vmDir, request.network().requestId(), workflowId);
          VmSecrets.rotate(vmDir);
          return null;
        });
    network.startEgress(request.network(), request.image());
    return readiness.awaitHandOver(
        new ReadinessRequest(request.vm(), request.timeoutMillis(), request.launch()));
  }
}
