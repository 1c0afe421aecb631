package dev.kindling.worker.runtime;

import dev.kindling.activities.cleanup.CleanupActivitiesImpl;
import dev.kindling.activities.pool.HandOverActivitiesImpl;
import dev.kindling.activities.vmm.VmStartActivitiesImpl;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.SharedWorkflows;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.client.KindlingClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kindling worker process: its connection to Temporal, workflows and shared-queue activities on
 * {@value TaskQueues#SHARED}, this host's activities on {@code kindling-host-<hostId>}, and its
 * metrics endpoint.
 */
public final class WorkerRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);

  /** How often the cleanup reconciler runs: orphans live at most this long after a crash. */
  public static final Duration CLEANUP_EVERY = Duration.ofMinutes(5);

  /**
   * Ready VMs of release-on-exit templates one host watches at once; beyond this, watches wait for
   * a slot.
   */
  static final int MAX_APP_WATCHES = 2000;

  private final WorkerMetrics metrics;
  private final TemporalConnection connection;
  private final WorkerFactory factory;
  private final String hostQueue;
  private final HostServices host;
  private final EgressReports egressReports;
  private final HostReporter hostReporter;

  private WorkerRuntime(
      WorkerMetrics metrics,
      TemporalConnection connection,
      WorkerFactory factory,
      String hostQueue,
      HostServices host,
      EgressReports egressReports,
      HostReporter hostReporter) {
    this.metrics = metrics;
    this.connection = connection;
    this.factory = factory;
    this.hostQueue = hostQueue;
    this.host = host;
    this.egressReports = egressReports;
    this.hostReporter = hostReporter;
  }

  /**
   * Connects to the configured Temporal, registers and starts the workers, and serves the metrics
   * endpoint.
   */
  public static WorkerRuntime start(HostServices host) {
    KindlingConfig config = host.config();
    WorkerMetrics metrics =
        WorkerMetrics.start(
            config.get(Setting.WORKER_METRICS_BIND),
            config.intValue(Setting.WORKER_METRICS_PORT),
            config.hostId());
    TemporalConnection connection = null;
    try {
      connection = TemporalConnection.open(config, metrics.temporalScope());
      WorkerFactory factory =
          WorkerFactory.newInstance(
              connection.client(),
              WorkerFactoryOptions.newBuilder()
                  .setWorkflowCacheSize(config.intValue(Setting.WORKFLOW_CACHE))
                  .setWorkerInterceptors(metrics.interceptor())
                  .build());
      String hostQueue = register(factory, connection, host);
      host.meters().add(metrics.registry());
      // Before any activity runs: a network deleted by one must not be served again after it.
      int resumed = resumeEgress(host);
      factory.start();
      metrics.trackPhases(connection.client());
      EgressReports egressReports = EgressReports.start(host.egress(), connection.client());
      startPools(connection, config);
      HostReporter hostReporter = HostReporter.start(connection.client(), config, host.paths());
      reconcileNow(connection);
      log.info(
          "worker polling {} and {}{}",
          TaskQueues.SHARED,
          hostQueue,
          metrics.uri() == null ? "" : ", metrics on " + metrics.uri());
      if (resumed > 0) {
        log.info("serving the egress of {} running VM(s) again", resumed);
      }
      return new WorkerRuntime(
          metrics, connection, factory, hostQueue, host, egressReports, hostReporter);
    } catch (RuntimeException | Error e) {
      host.egress().close();
      host.meters().remove(metrics.registry());
      if (connection != null) {
        connection.close();
      }
      metrics.close();
      throw e;
    }
  }

  private static String register(
      WorkerFactory factory, TemporalConnection connection, HostServices host) {
    List<Object> sharedActivities = SharedActivities.create(connection.client(), host);
    Worker shared = factory.newWorker(TaskQueues.SHARED);
    shared.registerWorkflowImplementationTypes(SharedWorkflows.implementations());
    // Placement runs as a local activity of the VM workflow, so it must live on the worker that
    // runs the workflows.
    shared.registerActivitiesImplementations(sharedActivities.toArray());

    String hostId = host.config().hostId();
    String hostQueue = TaskQueues.forHost(hostId);
    Worker hostWorker =
        factory.newWorker(
            hostQueue,
            WorkerOptions.newBuilder()
                // Bounds concurrent host work; most of it waits on a VM (readiness, boot), not on
                // the CPU.
                .setMaxConcurrentActivityExecutionSize(16)
                .build());
    hostWorker.registerActivitiesImplementations(
        host.network(),
        host.vmms(),
        new VmStartActivitiesImpl(host.network(), host.vmms()),
        host.readiness(),
        new HandOverActivitiesImpl(host.paths(), host.network(), host.readiness()),
        host.images(),
        new CleanupActivitiesImpl(hostId, host.paths(), host.vmms(), host.network()));
    // App watches last a lease each and mostly sleep: on virtual threads, apart from the bounded
    // host work.
    Worker appWatches =
        factory.newWorker(
            TaskQueues.appWatchOf(hostQueue),
            WorkerOptions.newBuilder()
                .setUsingVirtualThreadsOnActivityWorker(true)
                .setMaxConcurrentActivityExecutionSize(MAX_APP_WATCHES)
                .build());
    appWatches.registerActivitiesImplementations(host.readiness());
    return hostQueue;
  }

  /**
   * A worker that starts after a crash, or on a host that was lost, may find VMs whose sessions
   * ended meanwhile: the cleanup schedule runs now instead of up to {@link #CLEANUP_EVERY} later.
   */
  private static void reconcileNow(TemporalConnection connection) {
    try {
      if (new KindlingClient(connection.client()).triggerCleanup()) {
        log.info("cleanup triggered: this host is reconciled now");
      }
    } catch (RuntimeException e) {
      log.warn("cleanup not triggered at start: {}", e.toString());
    }
  }

  /**
   * Gives this host's pools their policies. A worker whose pools cannot be started still serves its
   * VMs: sessions then restore instead of claiming.
   */
  private static void startPools(TemporalConnection connection, KindlingConfig config) {
    try {
      PoolStarter.apply(connection.client(), config);
    } catch (RuntimeException e) {
      log.warn("the warm pools of this host were not started: {}", e.toString());
    }
  }

  /** Serves the egress of the VMs an earlier worker on this host served; how many. */
  private static int resumeEgress(HostServices host) {
    try {
      return host.egress().resume();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve the egress of this host's VMs again", e);
    }
  }

  public String hostQueue() {
    return hostQueue;
  }

  /** This worker's connection, which the rest of its process (proxy, clients) may share. */
  public TemporalConnection connection() {
    return connection;
  }

  /** The Prometheus endpoint, unless worker.metricsPort is -1. */
  public Optional<URI> metricsUri() {
    return Optional.ofNullable(metrics.uri());
  }

  /**
   * Stops polling and waits briefly for running tasks (Temporal retries whatever did not finish),
   * then disconnects.
   */
  @Override
  public void close() {
    // Its record goes stale from now on: placement stops choosing this host.
    hostReporter.close();
    try {
      factory.shutdown();
      factory.awaitTermination(10, TimeUnit.SECONDS);
      if (!factory.isTerminated()) {
        factory.shutdownNow();
      }
    } finally {
      // Running VMs lose their egress until a worker serves it again (egress.json stays).
      egressReports.close();
      host.egress().close();
      host.meters().remove(metrics.registry());
      // The connection first, so the metrics' last report includes the SDK's shutdown.
      connection.close();
      metrics.close();
    }
  }
}
