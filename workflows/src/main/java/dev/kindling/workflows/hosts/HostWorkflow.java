package dev.kindling.workflows.hosts;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One host's record: its worker reports every few seconds, an operator drains and undrains it. A
 * host is live while its last report is fresh.
 */
@WorkflowInterface
public interface HostWorkflow {
  String WORKFLOW_TYPE = "KindlingHost";

  /** How often a worker reports its host. */
  java.time.Duration REPORT_EVERY = java.time.Duration.ofSeconds(5);

  /** A host whose last report is older than this is not live. */
  java.time.Duration STALE_AFTER = java.time.Duration.ofSeconds(20);

  static String workflowId(String hostId) {
    return "host-" + hostId;
  }

  @WorkflowMethod(name = WORKFLOW_TYPE)
  void run(HostRecord record);

  @SignalMethod
  void report(HostReport report);

  /** No new sessions on this host; its running ones continue to their lease end. */
  @SignalMethod
  void drain(String reason);

  @SignalMethod
  void undrain();

  @QueryMethod
  HostRecord describe();
}
