package dev.kindling.activities.vmm;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmStartActivities;

/**
 * The network (with the session's egress) and the boot of a VM in one activity, each half exactly
 * as its own activity does it (same request ids, same idempotence, same typed failures), so a retry
 * redoes only what is missing.
 */
public final class VmStartActivitiesImpl implements VmStartActivities {
  private final NetworkActivitiesImpl network;
  private final VmmActivitiesImpl vmms;

  public VmStartActivitiesImpl(NetworkActivitiesImpl network, VmmActivitiesImpl vmms) {
    this.network = network;
    this.vmms = vmms;
  }

  @Override
  public StartedVm startVm(NetworkRequest networkRequest, BootRequest boot) {
    long start = System.nanoTime();
    VmNetwork created;
    // The step runs under the boot's heartbeat timeout; the boot heartbeats itself.
    try (var _ = BackgroundHeartbeat.start("startVm", VmmActivitiesImpl.BOOT_HEARTBEAT)) {
      created = network.createNetwork(networkRequest);
      network.startEgress(networkRequest, boot.image());
    }
    long networkMillis = (System.nanoTime() - start) / 1_000_000;
    VmHandle handle = vmms.bootVm(boot.withNetwork(created));
    return new StartedVm(created, handle, networkMillis);
  }
}
