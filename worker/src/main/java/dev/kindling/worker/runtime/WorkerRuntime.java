package dev.kindling.worker.runtime;

import dev.kindling.activities.cleanup.CleanupActivitiesImpl;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.cleanup.CleanupWorkflowImpl;
import dev.kindling.workflows.image.GoldenImageWorkflowImpl;
import dev.kindling.workflows.vm.BrowserVmWorkflowImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kindling worker process: workflows and shared-queue activities on {@value TaskQueues#SHARED},
 * and this host's activities on {@code kindling-host-<hostId>}.
 */
public final class WorkerRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);
  /** How often the cleanup reconciler runs: orphans live at most this long after a crash. */
  public static final java.time.Duration CLEANUP_EVERY = java.time.Duration.ofMinutes(5);

  /** Ready VMs of release-on-exit templates one host watches at once; beyond this, watches wait for a slot. */
  static final int MAX_APP_WATCHES = 2000;

  private final WorkerFactory factory;
  private final String hostQueue;

  private WorkerRuntime(WorkerFactory factory, String hostQueue) {
    this.factory = factory;
    this.hostQueue = hostQueue;
  }

  /** Registers and starts both workers, with the shared queue's activities built from {@code host}'s configuration. */
  public static WorkerRuntime start(WorkflowClient client, HostServices host) {
    List<Object> sharedActivities = SharedActivities.create(client, host);
    WorkerFactory factory = WorkerFactory.newInstance(client, io.temporal.worker.WorkerFactoryOptions.newBuilder()
        .setWorkflowCacheSize(host.config().intValue(dev.kindling.worker.config.Setting.WORKFLOW_CACHE))
        .build());
    Worker shared = factory.newWorker(TaskQueues.SHARED);
    shared.registerWorkflowImplementationTypes(BrowserVmWorkflowImpl.class, GoldenImageWorkflowImpl.class, CleanupWorkflowImpl.class);
    // Placement runs as a local activity of the VM workflow, so it must live on the worker that runs the workflows.
    shared.registerActivitiesImplementations(sharedActivities.toArray());

    String hostId = host.config().hostId();
    String hostQueue = TaskQueues.forHost(hostId);
    Worker hostWorker = factory.newWorker(hostQueue, WorkerOptions.newBuilder()
        // Bounds concurrent host work; most of it waits on a VM (readiness, boot), not on the CPU.
        .setMaxConcurrentActivityExecutionSize(16)
        .build());
    hostWorker.registerActivitiesImplementations(
        host.network(),
        host.vmms(),
        host.readiness(),
        host.images(),
        new CleanupActivitiesImpl(hostId, host.paths(), host.vmms(), host.network()));
    // App watches last a lease each and mostly sleep: on virtual threads, apart from the bounded host work.
    Worker appWatches = factory.newWorker(TaskQueues.appWatchOf(hostQueue), WorkerOptions.newBuilder()
        .setUsingVirtualThreadsOnActivityWorker(true)
        .setMaxConcurrentActivityExecutionSize(MAX_APP_WATCHES)
        .build());
    appWatches.registerActivitiesImplementations(host.readiness());
    factory.start();
    log.info("worker polling {} and {}", TaskQueues.SHARED, hostQueue);
    return new WorkerRuntime(factory, hostQueue);
  }

  public String hostQueue() {
    return hostQueue;
  }

  /** Stops polling and waits briefly for running tasks; Temporal retries whatever did not finish. */
  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    if (!factory.isTerminated()) {
      factory.shutdownNow();
    }
  }

}
