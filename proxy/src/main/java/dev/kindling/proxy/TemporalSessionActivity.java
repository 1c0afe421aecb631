package dev.kindling.proxy;

import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Viewers;
import io.temporal.client.WorkflowClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Signals each session's BrowserVm workflow: {@code viewers} and {@code input}. */
public final class TemporalSessionActivity implements SessionActivity {
  private static final Logger log = LoggerFactory.getLogger(TemporalSessionActivity.class);

  private final WorkflowClient client;

  public TemporalSessionActivity(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public void viewers(String sessionId, Viewers viewers) {
    signal(sessionId, "viewers", viewers);
  }

  @Override
  public void input(String sessionId) {
    signal(sessionId, "input");
  }

  private void signal(String sessionId, String name, Object... args) {
    try {
      client.newUntypedWorkflowStub(BrowserVmWorkflow.workflowId(sessionId)).signal(name, args);
    } catch (RuntimeException e) {
      // A session whose workflow has ended has nobody left to tell.
      log.debug("could not signal {} to session {}: {}", name, sessionId, e.toString());
    }
  }
}
