package dev.kindling.workflows.image;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Build, canary boot with full readiness, optional snapshot, atomic promotion. */
@WorkflowInterface
public interface GoldenImageWorkflow {
  String WORKFLOW_TYPE = "GoldenImage";

  /**
   * One image workflow per host and template at a time; {@code template} null is the host's
   * default.
   */
  static String workflowId(String hostId, String template) {
    return "golden-image-" + hostId + (template == null ? "" : "-" + template);
  }

  @WorkflowMethod(name = WORKFLOW_TYPE)
  GoldenImageResult run(ImageBuildRequest request);
}
