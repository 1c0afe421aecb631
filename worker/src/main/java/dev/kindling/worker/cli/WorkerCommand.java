package dev.kindling.worker.cli;

import dev.kindling.activities.network.HostPreflight;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.WorkerRuntime;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "worker",
    description = "Run this host's worker against the configured Temporal target and namespace.")
final class WorkerCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Override
  public Integer call() throws Exception {
    KindlingConfig config = options.load();
    new HostPreflight(config.paths(), HostServices.vmmPrograms(config)).require();
    HostServices host = HostServices.create(config);
    try (WorkerRuntime worker = WorkerRuntime.start(host)) {
      new dev.kindling.workflows.client.KindlingClient(worker.connection().client())
          .ensureCleanup(WorkerRuntime.CLEANUP_EVERY);
      System.out.println(
          "worker for host "
              + config.hostId()
              + " on "
              + config.temporalTarget()
              + " ("
              + worker.hostQueue()
              + ")"
              + worker.metricsUri().map(uri -> ", metrics " + uri).orElse(""));
      Shutdown.await();
      return 0;
    }
  }
}
