package dev.kindling.activities.shared;

import dev.kindling.workflows.cleanup.LivenessActivities;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmSummary;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.pool.PoolState;
import dev.kindling.workflows.pool.PoolWorkflow;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The reconciler's view of Temporal: which VMs a running workflow still owns. */
public final class LivenessActivitiesImpl implements LivenessActivities {
  private static final Logger log = LoggerFactory.getLogger(LivenessActivitiesImpl.class);

  /**
   * A lease this far past its expiry means its timer did not fire (e.g. the workflow was stuck).
   */
  public static final long EXPIRY_GRACE_MILLIS = 60_000;

  private final WorkflowClient client;
  private final KindlingClient kindling;
  private final HostRecords records;
  private final Clock clock;

  public LivenessActivitiesImpl(WorkflowClient client, HostRecords records) {
    this(client, records, Clock.systemUTC());
  }

  /** {@code clock} decides when a lease counts as expired; it must agree with the server's. */
  public LivenessActivitiesImpl(WorkflowClient client, HostRecords records, Clock clock) {
    this.client = client;
    this.kindling = new KindlingClient(client);
    this.records = records;
    this.clock = clock;
  }

  /** Every host that has a record, live or not: a stale host's inventory just times out. */
  @Override
  public List<String> knownHosts() {
    return records.fresh().stream().map(HostRecord::hostId).toList();
  }

  /**
   * Live means: {@code browser-vm-<sessionId>} is running and its {@code describe()} names this VM.
   * A session that moved on to another VM does not keep an old one alive. Errors other than "not
   * found" propagate, so an unsure answer never destroys a VM.
   */
  @Override
  public boolean isLive(String sessionId, String vmId) {
    String workflowId = BrowserVmWorkflow.workflowId(sessionId);
    if (!isRunning(workflowId)) {
      return false;
    }
    try {
      VmDescription description =
          client.newWorkflowStub(BrowserVmWorkflow.class, workflowId).describe();
      return description != null && vmId.equals(description.vmId());
    } catch (WorkflowNotFoundException e) {
      return false;
    }
  }

  @Override
  public boolean isRunning(String workflowId) {
    try {
      return client.newUntypedWorkflowStub(workflowId).describe().getStatus()
          == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    } catch (WorkflowNotFoundException e) {
      return false;
    }
  }

  @Override
  public boolean poolHolds(String poolWorkflowId, String vmId) {
    if (!isRunning(poolWorkflowId)) {
      return false;
    }
    PoolState pool;
    try {
      pool = client.newWorkflowStub(PoolWorkflow.class, poolWorkflowId).describe();
    } catch (WorkflowNotFoundException e) {
      return false;
    }
    if (pool == null) {
      return false;
    }
    if (pool.holds(vmId)) {
      return true;
    }
    // Handed out but not taken over yet: the claiming session's to answer for, while it runs.
    return pool.handedOut(vmId)
        .map(
            claim ->
                claim.workflowId().startsWith(BrowserVmWorkflow.WORKFLOW_ID_PREFIX)
                    ? isLive(
                        claim.workflowId().substring(BrowserVmWorkflow.WORKFLOW_ID_PREFIX.length()),
                        vmId)
                    : isRunning(claim.workflowId()))
        .orElse(false);
  }

  @Override
  public int endExpiredLeases() {
    long now = clock.millis();
    int ended = 0;
    for (VmSummary vm : kindling.list()) {
      try {
        VmDescription d = kindling.describe(vm.sessionId());
        if (d != null
            && d.phase() == Phase.READY
            && d.leaseExpiresAtEpochMillis() > 0
            && d.leaseExpiresAtEpochMillis() + EXPIRY_GRACE_MILLIS < now) {
          log.warn(
              "Lease of {} expired at {} but the VM still runs; releasing it",
              vm.workflowId(),
              d.leaseExpiresAtEpochMillis());
          kindling.release(vm.sessionId());
          ended++;
        }
      } catch (WorkflowNotFoundException finishedMeanwhile) {
        // Ended between listing and asking: nothing to release.
      }
    }
    return ended;
  }
}
