package dev.kindling.workflows.pool;

import dev.kindling.workflows.Validation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;

/**
 * Claims through the Temporal client: one update of the pool's workflow. Most hosts keep no pool of
 * most templates, and every session asks: that a host keeps none is remembered for {@link
 * #NO_POOL_FOR}, so those sessions make no call at all (a pool started meanwhile is asked once it
 * passes; until then its sessions restore, as without one).
 */
public final class ClientPoolClaims implements PoolClaimActivities {
  static final java.time.Duration NO_POOL_FOR = java.time.Duration.ofSeconds(10);

  private final WorkflowClient client;
  private final java.util.Map<String, Long> noPoolUntilNanos =
      new java.util.concurrent.ConcurrentHashMap<>();

  public ClientPoolClaims(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public PoolClaim claim(String hostId, String template, ClaimRequest request) {
    String workflowId =
        PoolWorkflow.workflowId(Validation.hostId(hostId), Validation.templateId(template));
    Long until = noPoolUntilNanos.get(workflowId);
    if (until != null && System.nanoTime() - until < 0) {
      return noPool(request, hostId, template);
    }
    try {
      return client.newWorkflowStub(PoolWorkflow.class, workflowId).claim(request);
    } catch (WorkflowNotFoundException e) {
      return rememberNoPool(workflowId, request, hostId, template);
    } catch (WorkflowServiceException e) {
      if (e.getCause() instanceof WorkflowNotFoundException
          || notRunning(client.newUntypedWorkflowStub(workflowId))) {
        return rememberNoPool(workflowId, request, hostId, template);
      }
      throw e;
    }
  }

  private PoolClaim rememberNoPool(
      String workflowId, ClaimRequest request, String hostId, String template) {
    noPoolUntilNanos.put(workflowId, System.nanoTime() + NO_POOL_FOR.toNanos());
    return noPool(request, hostId, template);
  }

  private static PoolClaim noPool(ClaimRequest request, String hostId, String template) {
    return PoolClaim.miss(request, "host " + hostId + " keeps no pool of " + template);
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
