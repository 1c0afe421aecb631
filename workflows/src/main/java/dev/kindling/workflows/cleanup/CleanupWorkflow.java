package dev.kindling.workflows.cleanup;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Reconciles every host against live workflows; started on a schedule (or as a cron workflow). */
@WorkflowInterface
public interface CleanupWorkflow {
  String WORKFLOW_TYPE = "KindlingCleanup";
  String WORKFLOW_ID = "kindling-cleanup";

  @WorkflowMethod(name = WORKFLOW_TYPE)
  CleanupReport run();
}
