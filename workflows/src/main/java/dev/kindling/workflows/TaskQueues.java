package dev.kindling.workflows;

/**
 * Task queue names. Workflows and host-independent activities share one queue; host work is pinned.
 */
public final class TaskQueues {
  /** Workflows, placement and other activities that may run on any worker. */
  public static final String SHARED = "kindling";

  private static final String HOST_PREFIX = "kindling-host-";

  private TaskQueues() {}

  /**
   * The queue only the worker on {@code hostId} polls: network, VMM and readiness work for its VMs.
   */
  public static String forHost(String hostId) {
    return HOST_PREFIX + Validation.hostId(hostId);
  }

  /**
   * The queue of a host's app watches ({@code awaitAppExit}), beside its host queue: a watch lasts
   * as long as its VM's lease, so it must not hold one of the slots that bound the host's work.
   */
  public static String appWatchOf(String hostQueue) {
    return hostQueue + "-app-watch";
  }
}
