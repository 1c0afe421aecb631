package dev.kindling.worker.shared;

import dev.kindling.workflows.cleanup.LivenessActivities;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowNotFoundException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The reconciler's view of Temporal: which VMs a running workflow still owns. */
public final class LivenessActivitiesImpl implements LivenessActivities {
  private static final Logger log = LoggerFactory.getLogger(LivenessActivitiesImpl.class);
  /** A lease this far past its expiry means its timer did not fire (e.g. the workflow was stuck). */
  static final long EXPIRY_GRACE_MILLIS = 60_000;
  private static final String RUNNING_VMS =
      "WorkflowType = '" + BrowserVmWorkflow.WORKFLOW_TYPE + "' AND ExecutionStatus = 'Running'";

  private final WorkflowClient client;
  private final HostDirectory directory;

  public LivenessActivitiesImpl(WorkflowClient client, HostDirectory directory) {
    this.client = client;
    this.directory = directory;
  }

  @Override
  public List<String> knownHosts() {
    return directory.hosts();
  }

  @Override
  public boolean isLive(String sessionId, String vmId) {
    String workflowId = BrowserVmWorkflow.workflowId(sessionId);
    try {
      WorkflowExecutionStatus status = client.newUntypedWorkflowStub(workflowId).describe().getStatus();
      if (status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        return false;
      }
      VmDescription description = client.newWorkflowStub(BrowserVmWorkflow.class, workflowId).describe();
      return description != null && vmId.equals(description.vmId());
    } catch (WorkflowNotFoundException e) {
      return false;
    }
  }

  @Override
  public int endExpiredLeases() {
    long now = System.currentTimeMillis();
    int ended = 0;
    for (WorkflowExecutionMetadata execution : client.listExecutions(RUNNING_VMS).toList()) {
      String workflowId = execution.getExecution().getWorkflowId();
      try {
        BrowserVmWorkflow vm = client.newWorkflowStub(BrowserVmWorkflow.class, workflowId);
        VmDescription d = vm.describe();
        if (d != null && d.phase() == Phase.READY && d.leaseExpiresAtEpochMillis() > 0
            && d.leaseExpiresAtEpochMillis() + EXPIRY_GRACE_MILLIS < now) {
          log.warn("lease of {} expired at {} but the VM still runs; releasing it", workflowId, d.leaseExpiresAtEpochMillis());
          vm.release();
          ended++;
        }
      } catch (WorkflowNotFoundException finishedMeanwhile) {
        // Ended between listing and asking: nothing to release.
      }
    }
    return ended;
  }
}
