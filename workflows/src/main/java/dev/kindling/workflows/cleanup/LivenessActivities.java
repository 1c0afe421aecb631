package dev.kindling.workflows.cleanup;

import io.temporal.activity.ActivityInterface;
import java.util.List;

/** Temporal-side half of the reconciler; runs on the shared queue. */
@ActivityInterface
public interface LivenessActivities {
  /** Host ids with a worker registered. */
  List<String> knownHosts();

  /** True when {@code browser-vm-<sessionId>} is running and owns {@code vmId}. */
  boolean isLive(String sessionId, String vmId);

  /**
   * True when a workflow with this id is running. VMs without a session (image canaries) are kept
   * while their host's image workflow runs.
   */
  boolean isRunning(String workflowId);

  /**
   * True when the pool workflow {@code poolWorkflowId} runs and holds {@code vmId}: ready, being
   * prepared or destroyed, or handed to a session that has not taken it over yet.
   */
  boolean poolHolds(String poolWorkflowId, String vmId);

  /**
   * Session ids whose lease expired but whose workflow still runs (e.g. missed timer); releases
   * them.
   */
  int endExpiredLeases();
}
