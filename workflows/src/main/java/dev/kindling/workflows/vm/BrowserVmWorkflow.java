package dev.kindling.workflows.vm;

import dev.kindling.workflows.egress.EgressReport;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One browser VM for one session, id {@code browser-vm-<sessionId>}: place, network, boot,
 * readiness, publish, hold the lease, tear down. Returns the final description.
 */
@WorkflowInterface
public interface BrowserVmWorkflow {
  String WORKFLOW_TYPE = "BrowserVm";
  String AWAIT_READY = "awaitReady";
  String WORKFLOW_ID_PREFIX = "browser-vm-";

  static String workflowId(String sessionId) {
    return WORKFLOW_ID_PREFIX + sessionId;
  }

  @WorkflowMethod(name = WORKFLOW_TYPE)
  VmDescription run(VmRequest request);

  @QueryMethod(name = "describe")
  VmDescription describe();

  /**
   * Returns the description once the VM is READY, or has failed or ended without becoming ready: a
   * client waits on it (or starts the workflow with it, update-with-start) instead of polling.
   */
  @UpdateMethod(name = AWAIT_READY)
  VmDescription awaitReady();

  /** Ends the lease now; teardown follows. */
  @SignalMethod(name = "release")
  void release();

  /** The proxy's report of who has the desktop open (rate-limited by the proxy). */
  @SignalMethod(name = "viewers")
  void viewers(Viewers viewers);

  /**
   * The host's count of the VM's egress (sent at most every few seconds while something changes).
   */
  @SignalMethod(name = "egress")
  void egress(EgressReport report);

  /**
   * The proxy saw input (keys, pointer, clipboard) from a controlling viewer: the idle timer starts
   * again. Rate-limited by the proxy.
   */
  @SignalMethod(name = "input")
  void input();

  /**
   * The VM's host stopped reporting (its record says why): a READY session ends {@code HostLost}
   * without teardown, which the host's reconciler does when it returns. A session still being
   * provisioned is left to its host steps' pickup timeout, which places it again.
   */
  @SignalMethod(name = "hostLost")
  void hostLost(String reason);

  /** Extends the lease by {@code seconds} from now; returns the new expiry (epoch millis). */
  @UpdateMethod(name = "extend")
  long extend(long seconds);

  @UpdateValidatorMethod(updateName = "extend")
  void validateExtend(long seconds);
}
