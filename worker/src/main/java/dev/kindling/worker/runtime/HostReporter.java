package dev.kindling.worker.runtime;

import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.StoredImage;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.hosts.HostCapacity;
import dev.kindling.workflows.hosts.HostReport;
import dev.kindling.workflows.hosts.HostWorkflow;
import dev.kindling.workflows.pool.PoolState;
import dev.kindling.workflows.pool.PoolWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this host's record current: every {@link HostWorkflow#REPORT_EVERY} its capacity, running
 * VMs and current images go to the workflow {@code host-<hostId>} (started by the first report).
 */
final class HostReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HostReporter.class);

  /** The smallest guest a template gets by default: what an unset slot count divides memory by. */
  static final int MIB_PER_SLOT = 512;

  private final WorkflowClient client;
  private final KindlingConfig config;
  private final HostPaths paths;
  private final VmProcesses processes;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("kindling-host-reporter").daemon().factory());
  private volatile boolean failing;

  HostReporter(WorkflowClient client, KindlingConfig config, HostPaths paths) {
    this.client = client;
    this.config = config;
    this.paths = paths;
    this.processes = new VmProcesses(paths);
  }

  /** Reports once now (a failure is logged, not thrown), then every few seconds. */
  static HostReporter start(WorkflowClient client, KindlingConfig config, HostPaths paths) {
    HostReporter reporter = new HostReporter(client, config, paths);
    reporter.reportQuietly();
    reporter.scheduler.scheduleWithFixedDelay(
        reporter::reportQuietly,
        HostWorkflow.REPORT_EVERY.toMillis(),
        HostWorkflow.REPORT_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    return reporter;
  }

  /** What this host is and runs now. */
  HostReport report() {
    long memoryMib = memoryMib();
    int slots = config.intValue(Setting.HOST_VM_SLOTS);
    ImageStore store = new ImageStore(paths);
    Map<String, ImageRef> currents = store.currents();
    return new HostReport(
        config.hostId(),
        new HostCapacity(
            Runtime.getRuntime().availableProcessors(),
            memoryMib,
            slots > 0 ? slots : (int) Math.max(1, memoryMib / MIB_PER_SLOT)),
        runningVms(),
        currents,
        store.list().stream().map(StoredImage::ref).toList(),
        poolReady(currents.keySet()),
        config.proxyPublicUrl(),
        config.intValue(Setting.HOST_LOST_AFTER_SECONDS),
        System.currentTimeMillis());
  }

  /** Ready VMs of this host's pools, for the templates it has an image of. */
  private Map<String, Integer> poolReady(Set<String> templates) {
    Map<String, Integer> ready = new TreeMap<>();
    for (String template : templates) {
      try {
        PoolState pool =
            client
                .newWorkflowStub(
                    PoolWorkflow.class, PoolWorkflow.workflowId(config.hostId(), template))
                .describe();
        if (pool != null && pool.ready() != null && !pool.ready().isEmpty()) {
          ready.put(template, pool.ready().size());
        }
      } catch (WorkflowNotFoundException e) {
        // No pool of this template here.
      }
    }
    return ready;
  }

  private void reportQuietly() {
    try {
      send(report());
      if (failing) {
        log.info("reporting host {} again", config.hostId());
      }
      failing = false;
    } catch (RuntimeException e) {
      if (!failing) {
        log.warn(
            "cannot report host {} (placement will see it go stale): {}",
            config.hostId(),
            e.toString());
      }
      failing = true;
    }
  }

  private void send(HostReport report) {
    new KindlingClient(client).reportHost(report);
  }

  private int runningVms() {
    if (!Files.isDirectory(paths.vmsDir())) {
      return 0;
    }
    try (Stream<Path> dirs = Files.list(paths.vmsDir())) {
      return (int) dirs.filter(dir -> processes.alive(dir.getFileName().toString())).count();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + paths.vmsDir(), e);
    }
  }

  /** MemTotal of /proc/meminfo, in MiB. */
  static long memoryMib() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
      return lines
          .filter(line -> line.startsWith("MemTotal:"))
          .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024)
          .findFirst()
          .orElse(0L);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/meminfo", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
