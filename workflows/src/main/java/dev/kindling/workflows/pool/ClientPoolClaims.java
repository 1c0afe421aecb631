package dev.kindling.workflows.pool;

import dev.kindling.workflows.Validation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;

/** Claims through the Temporal client: one update of the pool's workflow. */
public final class ClientPoolClaims implements PoolClaimActivities {
  private final WorkflowClient client;

  public ClientPoolClaims(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public PoolClaim claim(String hostId, String template, ClaimRequest request) {
    String workflowId =
        PoolWorkflow.workflowId(Validation.hostId(hostId), Validation.templateId(template));
    try {
      return client.newWorkflowStub(PoolWorkflow.class, workflowId).claim(request);
    } catch (WorkflowNotFoundException e) {
      return PoolClaim.miss(request, "host " + hostId + " keeps no pool of " + template);
    } catch (WorkflowServiceException e) {
      if (e.getCause() instanceof WorkflowNotFoundException
          || notRunning(client.newUntypedWorkflowStub(workflowId))) {
        return PoolClaim.miss(request, "host " + hostId + " keeps no pool of " + template);
      }
      throw e;
    }
  }

  private static boolean notRunning(WorkflowStub stub) {
    try {
      return stub.describe().getStatus()
          != io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    } catch (WorkflowNotFoundException e) {
      return true;
    } catch (WorkflowServiceException e) {
      return false;
    }
  }
}
