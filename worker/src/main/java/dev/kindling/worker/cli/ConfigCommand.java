package dev.kindling.worker.cli;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "config",
    description = "Print the effective configuration and where each value came from.")
final class ConfigCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Override
  public Integer call() {
    KindlingConfig config = options.load();
    for (Setting s : Setting.values()) {
      String value = s == Setting.TOKEN_KEY && !config.get(s).isEmpty() ? "(set)" : config.get(s);
      System.out.printf("%-30s %-28s %s%n", s.key(), value, config.source(s));
    }
    System.out.printf("%-30s %s%n", "(resolved) host id", config.hostId());
    System.out.printf("%-30s %s%n", "(resolved) cache dir", config.paths().cacheDir());
    return 0;
  }
}
