package dev.kindling.workflows.pool;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The warm pool of one template on one host: keeps its target of ready VMs, replaces those that die
 * or age out, recycles them when a newer image is promoted, and hands out each VM exactly once.
 */
@WorkflowInterface
public interface PoolWorkflow {
  String WORKFLOW_TYPE = "KindlingPool";
  String WORKFLOW_ID_PREFIX = "pool-";

  /** '.' is in neither a host id nor a template id, so no two pools share an id. */
  static String workflowId(String hostId, String template) {
    return WORKFLOW_ID_PREFIX + hostId + "." + template;
  }

  @WorkflowMethod(name = WORKFLOW_TYPE)
  void run(PoolRequest request);

  /**
   * Hands the oldest ready VM of the requested image to the claimant, or answers a miss. Claims are
   * updates: the workflow handles one at a time, so two claimants never get one VM.
   */
  @UpdateMethod
  PoolClaim claim(ClaimRequest request);

  @UpdateValidatorMethod(updateName = "claim")
  void validateClaim(ClaimRequest request);

  /**
   * A new policy and VM size (a worker started with other settings or templates); target 0 drains
   * the pool; a size of 0 keeps the one it has.
   */
  @SignalMethod
  void policy(PoolPolicy policy, int vmMemoryMib);

  /** Looks at the host's current image and its VMs now instead of at the next check. */
  @SignalMethod
  void refresh();

  @QueryMethod
  PoolState describe();
}
