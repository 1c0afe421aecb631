package dev.kindling.workflows.cleanup;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Reconciles every host against live workflows; the Temporal Schedule {@value #WORKFLOW_ID} starts
 * it.
 */
@WorkflowInterface
public interface CleanupWorkflow {
  String WORKFLOW_TYPE = "KindlingCleanup";
  String WORKFLOW_ID = "kindling-cleanup";

  @WorkflowMethod(name = WORKFLOW_TYPE)
  CleanupReport run();
}
