package dev.kindling.workflows;

import dev.kindling.workflows.cleanup.CleanupActivities;
import dev.kindling.workflows.host.NetworkActivities;
import dev.kindling.workflows.host.ReadinessActivities;
import dev.kindling.workflows.host.VmStartActivities;
import dev.kindling.workflows.host.VmmActivities;
import dev.kindling.workflows.image.ImageActivities;
import dev.kindling.workflows.pool.PoolActivities;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * Activity stubs pinned to one host's task queue, for workflow code only. Every option set carries
 * a schedule-to-start timeout: a host's worker polls its queue continuously, so a task nobody picks
 * up within {@link #HOST_PICKUP} means the host is gone, and the workflow hears so instead of
 * waiting forever.
 *
 * <p>Steps that change a host wait for a cancelled activity to finish before the workflow moves on,
 * so a compensation never races the step it undoes.
 */
public final class HostStubs {
  /** A live worker starts a task within milliseconds; 20 s of silence means the host is down. */
  public static final Duration HOST_PICKUP = Duration.ofSeconds(20);

  /** Host commands fail transiently (a busy netlink, a slow disk); typed failures never retry. */
  public static final RetryOptions HOST_RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofMillis(200))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(5))
          .setMaximumAttempts(3)
          .setDoNotRetry(FailureKind.nonRetryableTypes())
          .build();

  /** Teardown retries longer than setup: giving up means leaking until the next cleanup run. */
  public static final RetryOptions TEARDOWN_RETRY =
      RetryOptions.newBuilder(HOST_RETRY)
          .setMaximumAttempts(6)
          .setMaximumInterval(Duration.ofSeconds(10))
          .build();

  /**
   * Readiness has its own deadline inside the activity and its verdicts are typed (never retried),
   * so a second attempt runs only when the first one's worker died; it probes for what is left of
   * the deadline, not a new one.
   */
  public static final RetryOptions READINESS_RETRY =
      RetryOptions.newBuilder(HOST_RETRY).setMaximumAttempts(2).build();

  /**
   * Creating a namespace and a TAP is a handful of netlink calls; 30 s means the host is wedged.
   */
  public static final ActivityOptions NETWORK =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(HOST_RETRY)
          .build();

  /**
   * bootVm returns once the VMM runs the guest (seconds); a restore also reads the memory file. It
   * heartbeats every second while it runs, so 10 s without one means its worker died, and the retry
   * (which adopts or replaces the VMM that attempt started) need not wait out the 2 minutes.
   */
  public static final ActivityOptions BOOT =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
          .setStartToCloseTimeout(Duration.ofMinutes(2))
          .setHeartbeatTimeout(Duration.ofSeconds(10))
          .setRetryOptions(HOST_RETRY)
          .build();

  /**
   * awaitReady heartbeats every probe round, so 10 s without one means its worker died; the
   * start-to-close timeout is set per call from the readiness deadline.
   */
  public static final ActivityOptions READINESS =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
          .setHeartbeatTimeout(Duration.ofSeconds(10))
          .setRetryOptions(READINESS_RETRY)
          .build();

  /**
   * Room the readiness activity gets beyond its own deadline to report a typed failure with
   * evidence.
   */
  public static final Duration READINESS_GRACE = Duration.ofSeconds(30);

  /**
   * Watching a ready VM's app lasts as long as its lease (at most a day, the lease's cap). It
   * heartbeats every few seconds: a worker that dies is noticed within 30 s and the watch starts
   * again on the host's queue, as often as that happens while the lease lasts.
   */
  public static final ActivityOptions APP_WATCH =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setCancellationType(ActivityCancellationType.TRY_CANCEL)
          .setStartToCloseTimeout(Duration.ofHours(25))
          .setHeartbeatTimeout(Duration.ofSeconds(30))
          .setRetryOptions(
              RetryOptions.newBuilder(HOST_RETRY)
                  .setMaximumAttempts(0)
                  .setMaximumInterval(Duration.ofSeconds(30))
                  .build())
          .build();

  /** Stopping a VMM waits for its exit (with a kill after a grace period), then removes files. */
  public static final ActivityOptions TEARDOWN =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setStartToCloseTimeout(Duration.ofMinutes(1))
          .setRetryOptions(TEARDOWN_RETRY)
          .build();

  /** A memory snapshot writes the guest's RAM to disk: bounded by disk speed, minutes at worst. */
  public static final ActivityOptions SNAPSHOT =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
          .setStartToCloseTimeout(Duration.ofMinutes(5))
          .setRetryOptions(HOST_RETRY)
          .build();

  /**
   * debootstrap and the ext4 build take minutes on a cold cache; a cached image returns at once.
   */
  public static final ActivityOptions IMAGE_BUILD =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
          .setStartToCloseTimeout(Duration.ofMinutes(45))
          .setRetryOptions(RetryOptions.newBuilder(HOST_RETRY).setMaximumAttempts(2).build())
          .build();

  /** Promotion renames one pointer file and resolving reads one manifest: seconds at most. */
  public static final ActivityOptions IMAGE_METADATA =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(HOST_RETRY)
          .build();

  /**
   * Listing a host's namespaces, processes and files is quick; destroying an orphan is a teardown.
   */
  public static final ActivityOptions CLEANUP =
      ActivityOptions.newBuilder()
          .setScheduleToStartTimeout(HOST_PICKUP)
          .setStartToCloseTimeout(Duration.ofMinutes(1))
          .setRetryOptions(TEARDOWN_RETRY)
          .build();

  private final String taskQueue;

  private HostStubs(String taskQueue) {
    this.taskQueue = taskQueue;
  }

  /** Stubs for the host whose worker polls {@code taskQueue}. */
  public static HostStubs on(String taskQueue) {
    return new HostStubs(taskQueue);
  }

  public String taskQueue() {
    return taskQueue;
  }

  public NetworkActivities network() {
    return Workflow.newActivityStub(NetworkActivities.class, pinned(NETWORK));
  }

  public VmmActivities boot() {
    return Workflow.newActivityStub(VmmActivities.class, pinned(BOOT));
  }

  /** The network and the boot in one step, with the boot's options (its heartbeat covers both). */
  public VmStartActivities start() {
    return Workflow.newActivityStub(VmStartActivities.class, pinned(BOOT));
  }

  public ReadinessActivities readiness(Duration deadline) {
    return Workflow.newActivityStub(ReadinessActivities.class, readinessOptions(deadline));
  }

  private ActivityOptions readinessOptions(Duration deadline) {
    return ActivityOptions.newBuilder(pinned(READINESS))
        .setStartToCloseTimeout(deadline.plus(READINESS_GRACE))
        .setScheduleToCloseTimeout(deadline.plus(READINESS_GRACE).plus(HOST_PICKUP))
        .build();
  }

  /**
   * Handing a claimed pool VM to a session ends in readiness, with readiness's options and
   * deadline.
   */
  public PoolActivities pool(Duration deadline) {
    return Workflow.newActivityStub(PoolActivities.class, readinessOptions(deadline));
  }

  /** On the host's app-watch queue ({@link TaskQueues#appWatchOf}), not its host queue. */
  public ReadinessActivities appWatch() {
    return Workflow.newActivityStub(
        ReadinessActivities.class,
        ActivityOptions.newBuilder(APP_WATCH)
            .setTaskQueue(TaskQueues.appWatchOf(taskQueue))
            .build());
  }

  public NetworkActivities networkTeardown() {
    return Workflow.newActivityStub(NetworkActivities.class, pinned(TEARDOWN));
  }

  public VmmActivities vmmTeardown() {
    return Workflow.newActivityStub(VmmActivities.class, pinned(TEARDOWN));
  }

  public VmmActivities snapshot() {
    return Workflow.newActivityStub(VmmActivities.class, pinned(SNAPSHOT));
  }

  public ImageActivities imageBuild() {
    return Workflow.newActivityStub(ImageActivities.class, pinned(IMAGE_BUILD));
  }

  public ImageActivities imageMetadata() {
    return Workflow.newActivityStub(ImageActivities.class, pinned(IMAGE_METADATA));
  }

  public CleanupActivities cleanup() {
    return Workflow.newActivityStub(CleanupActivities.class, pinned(CLEANUP));
  }

  private ActivityOptions pinned(ActivityOptions options) {
    return ActivityOptions.newBuilder(options).setTaskQueue(taskQueue).build();
  }
}
