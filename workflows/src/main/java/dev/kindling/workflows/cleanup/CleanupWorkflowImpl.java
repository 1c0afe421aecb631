package dev.kindling.workflows.cleanup;

import dev.kindling.workflows.Failures;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.image.GoldenImageWorkflow;
import dev.kindling.workflows.pool.PoolWorkflow;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * Reconciles every known host against Temporal: whatever a host holds whose workflow is not running
 * (or no longer owns that VM) is an orphan and is destroyed. VMs whose ownership record names
 * another Temporal deployment are left to that deployment's reconciler and counted. Hosts run in
 * parallel; a dead host times out on schedule-to-start and is skipped until the next run.
 */
public class CleanupWorkflowImpl implements CleanupWorkflow {
  /** Liveness asks the server (describe + query) per VM; 30 s means the server is struggling. */
  private static final ActivityOptions LIVENESS =
      ActivityOptions.newBuilder()
          .setTaskQueue(TaskQueues.SHARED)
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build();

  private static final Logger log = Workflow.getLogger(CleanupWorkflowImpl.class);

  private final LivenessActivities liveness =
      Workflow.newActivityStub(LivenessActivities.class, LIVENESS);

  /** What one host contributed. */
  record HostCounts(int seen, int live, int destroyed, int foreign) {}

  @Override
  public CleanupReport run() {
    List<String> hosts = liveness.knownHosts();
    List<Promise<HostCounts>> perHost = new ArrayList<>();
    for (String hostId : hosts) {
      perHost.add(Async.function(this::reconcile, hostId));
    }
    int seen = 0;
    int live = 0;
    int destroyed = 0;
    int foreign = 0;
    for (int i = 0; i < perHost.size(); i++) {
      try {
        HostCounts counts = perHost.get(i).get();
        seen += counts.seen();
        live += counts.live();
        destroyed += counts.destroyed();
        foreign += counts.foreign();
      } catch (RuntimeException e) {
        if (Failures.isCancellation(e)) {
          throw e;
        }
        log.warn(
            "Host {} skipped this round: {}",
            hosts.get(i),
            Failures.typed("inventory", e).getOriginalMessage());
      }
    }
    int leasesEnded = 0;
    try {
      leasesEnded = liveness.endExpiredLeases();
    } catch (RuntimeException e) {
      if (Failures.isCancellation(e)) {
        throw e;
      }
      // Orphans were handled; lease sweeping waits for the next run.
      log.warn("Ending expired leases failed this round: {}", e.toString());
    }
    CleanupReport report =
        new CleanupReport(hosts.size(), seen, live, destroyed, leasesEnded, foreign);
    log.info("Cleanup: {}", report);
    return report;
  }

  private HostCounts reconcile(String hostId) {
    CleanupActivities host = HostStubs.on(TaskQueues.forHost(hostId)).cleanup();
    HostInventory inventory = host.inventory();
    int live = 0;
    int destroyed = 0;
    int foreign = 0;
    List<HostInventory.HostVm> vms = inventory.vms() == null ? List.of() : inventory.vms();
    for (HostInventory.HostVm vm : vms) {
      if (vm.foreignTo(inventory.deployment())) {
        log.info(
            "Leaving {} on {} alone: the Temporal deployment {} owns it, not {}",
            vm.vmId(),
            hostId,
            vm.deployment(),
            inventory.deployment());
        foreign++;
        continue;
      }
      boolean keep;
      if (vm.sessionId() != null) {
        keep = liveness.isLive(vm.sessionId(), vm.vmId());
      } else if (vm.ownerWorkflowId() != null
          && vm.ownerWorkflowId().startsWith(PoolWorkflow.WORKFLOW_ID_PREFIX)
          && Workflow.getVersion("cleanup-pool-owner", Workflow.DEFAULT_VERSION, 1) == 1) {
        // A running pool keeps only the VMs it answers for; one it lost track of (its claimant
        // ended before taking it over) is an orphan.
        keep = liveness.poolHolds(vm.ownerWorkflowId(), vm.vmId());
      } else {
        // No session: a canary of an image build, or a leftover. Keep it while the build that made
        // it
        // runs (runs started before builds were per template ask about the host's one build).
        if (Workflow.getVersion("cleanup-canary-owner", Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
          keep = liveness.isRunning(GoldenImageWorkflow.workflowId(hostId, null));
        } else {
          keep = vm.ownerWorkflowId() != null && liveness.isRunning(vm.ownerWorkflowId());
        }
      }
      if (keep) {
        live++;
      } else {
        log.info("Destroying orphan {} on {} (session {})", vm.vmId(), hostId, vm.sessionId());
        host.destroyOrphan(vm.vmId());
        destroyed++;
      }
    }
    return new HostCounts(vms.size(), live, destroyed, foreign);
  }
}
