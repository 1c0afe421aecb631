package dev.kindling.worker.shared;

import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.image.RetirementActivities;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowNotFoundException;

/** Releases running browser VMs on a host whose image is no longer current. */
public final class RetirementActivitiesImpl implements RetirementActivities {
  private final WorkflowClient client;

  public RetirementActivitiesImpl(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public int retireOlderThan(String hostId, String currentImageId) {
    Validation.hostId(hostId);
    Validation.imageId(currentImageId);
    String query = "WorkflowType = '" + BrowserVmWorkflow.WORKFLOW_TYPE + "' AND ExecutionStatus = 'Running' AND "
        + KindlingSearchAttributes.HOST.getName() + " = '" + hostId + "'";
    int retired = 0;
    for (WorkflowExecutionMetadata vm : client.listExecutions(query).toList()) {
      String image = vm.getTypedSearchAttributes().get(KindlingSearchAttributes.IMAGE);
      if (image != null && !image.equals(currentImageId)) {
        try {
          client.newWorkflowStub(BrowserVmWorkflow.class, vm.getExecution().getWorkflowId()).release();
          retired++;
        } catch (WorkflowNotFoundException endedMeanwhile) {
          // Already gone.
        }
      }
    }
    return retired;
  }
}
