package dev.kindling.activities.shared;

import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmSummary;
import dev.kindling.workflows.hosts.HostLossActivities;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds a lost host's running sessions by their host search attribute and signals each. */
public final class HostLossActivitiesImpl implements HostLossActivities {
  private static final Logger log = LoggerFactory.getLogger(HostLossActivitiesImpl.class);

  private final WorkflowClient client;

  public HostLossActivitiesImpl(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public int hostLost(String hostId, String reason) {
    int told = 0;
    for (VmSummary vm : new KindlingClient(client).list(hostId)) {
      try {
        client.newWorkflowStub(BrowserVmWorkflow.class, vm.workflowId()).hostLost(reason);
        told++;
      } catch (WorkflowNotFoundException endedMeanwhile) {
        // Nothing to end.
      }
    }
    log.warn("host {} lost ({}): told {} session(s)", hostId, reason, told);
    return told;
  }
}
