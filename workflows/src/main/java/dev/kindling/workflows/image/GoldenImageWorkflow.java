package dev.kindling.workflows.image;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Build, canary boot with full readiness, optional snapshot, atomic promotion. */
@WorkflowInterface
public interface GoldenImageWorkflow {
  String WORKFLOW_TYPE = "GoldenImage";

  static String workflowId(String hostId) {
    return "golden-image-" + hostId;
  }

  @WorkflowMethod(name = WORKFLOW_TYPE)
  GoldenImageResult run(ImageBuildRequest request);
}
