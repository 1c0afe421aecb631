package dev.kindling.worker.cli;

import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostWorkflow;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "host",
    description = "VM hosts as their workers report them; drain and undrain.",
    subcommands = {HostCommand.ListHosts.class, HostCommand.Drain.class, HostCommand.Undrain.class})
final class HostCommand {
  private HostCommand() {}

  @Command(name = "list", description = "List every host that has reported, live or not.")
  static final class ListHosts implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        List<HostRecord> hosts = new KindlingClient(temporal.client()).hosts();
        if (json) {
          Json.print(hosts);
          return 0;
        }
        long now = System.currentTimeMillis();
        System.out.printf(
            "%-16s %-6s %-7s %-9s %-5s %-9s %-22s %-28s %s%n",
            "HOST", "LIVE", "VMS", "SLOTS", "CPUS", "MEM MiB", "LAST REPORT", "PROXY", "DRAINED");
        for (HostRecord host : hosts) {
          boolean live = host.liveAt(now, HostWorkflow.STALE_AFTER);
          System.out.printf(
              "%-16s %-6s %-7s %-9s %-5s %-9s %-22s %-28s %s%n",
              host.hostId(),
              live ? "yes" : host.lost() ? "lost" : "no",
              host.report() == null ? "-" : host.report().runningVms(),
              host.report() == null ? "-" : host.report().capacity().vmSlots(),
              host.report() == null ? "-" : host.report().capacity().vcpus(),
              host.report() == null ? "-" : host.report().capacity().memoryMib(),
              host.report() == null ? "never" : Instant.ofEpochMilli(host.reportedAtMillis()),
              host.report() == null || host.report().proxyUrl() == null
                  ? "-"
                  : host.report().proxyUrl(),
              host.drained() ? host.drainReason() : "");
        }
        return 0;
      }
    }
  }

  @Command(
      name = "drain",
      description =
          "No new sessions on the host; its running sessions continue to their lease end.")
  static final class Drain implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Parameters(index = "0", description = "Host id.")
    String hostId;

    @Option(names = "--reason", description = "Why, for describe and the web UI.")
    String reason;

    @Override
    public Integer call() {
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        new KindlingClient(temporal.client()).drain(hostId, reason);
        System.out.println("host " + hostId + " drained");
        return 0;
      }
    }
  }

  @Command(name = "undrain", description = "Let the host take new sessions again.")
  static final class Undrain implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Parameters(index = "0", description = "Host id.")
    String hostId;

    @Override
    public Integer call() {
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        new KindlingClient(temporal.client()).undrain(hostId);
        System.out.println("host " + hostId + " takes new sessions");
        return 0;
      }
    }
  }
}
