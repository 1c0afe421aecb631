package dev.kindling.worker.cli;

import dev.kindling.activities.network.HostPreflight;
import dev.kindling.activities.network.PreflightCheck;
import dev.kindling.activities.network.PreflightReport;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.runtime.HostServices;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "preflight",
    description =
        "Check this host for everything VM networking and booting needs; name each problem and its fix.")
final class PreflightCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() {
    KindlingConfig config = options.load();
    PreflightReport report =
        new HostPreflight(config.paths(), HostServices.vmmPrograms(config)).run();
    if (json) {
      Json.print(report);
    } else {
      for (PreflightCheck check : report.checks()) {
        System.out.printf("%-4s %s%n", check.passed() ? "ok" : "FAIL", check.name());
        if (!check.passed()) {
          System.out.println("     problem: " + check.problem());
          System.out.println("     fix:     " + check.fix());
        }
      }
    }
    return report.passed() ? 0 : KindlingCli.EXIT_FAILED;
  }
}
