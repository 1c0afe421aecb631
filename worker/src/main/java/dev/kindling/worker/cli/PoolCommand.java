package dev.kindling.worker.cli;

import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.pool.PoolState;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "pool",
    description = "Warm pools of ready VMs.",
    subcommands = {PoolCommand.ListPools.class})
final class PoolCommand {
  private PoolCommand() {}

  @Command(name = "list", description = "List every host's warm pools.")
  static final class ListPools implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        List<PoolState> pools = new KindlingClient(temporal.client()).pools();
        if (json) {
          Json.print(pools);
          return 0;
        }
        System.out.printf(
            "%-12s %-10s %-7s %-9s %-7s %-7s %-8s %-14s %s%n",
            "HOST",
            "TEMPLATE",
            "READY",
            "PREPARING",
            "CLAIMS",
            "MISSES",
            "REPLACED",
            "IMAGE",
            "LAST PROBLEM");
        for (PoolState pool : pools) {
          System.out.printf(
              "%-12s %-10s %-7s %-9d %-7d %-7d %-8d %-14s %s%n",
              pool.hostId(),
              pool.template(),
              pool.ready().size() + "/" + pool.target(),
              pool.preparing(),
              pool.claims(),
              pool.misses(),
              pool.replaced(),
              pool.imageId() == null ? "-" : pool.imageId().substring(0, 12),
              pool.lastProblem() == null ? "" : pool.lastProblem());
        }
        return 0;
      }
    }
  }
}
