package dev.kindling.worker.cli;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command shares: the configuration file and {@code --set key=value} overrides. */
public final class ConfigOptions {
  @Option(
      names = "--config",
      description =
          "Configuration file (Java properties). Default: "
              + "/etc/kindling/kindling.properties if present.")
  Path file;

  @Option(
      names = "--set",
      description = "Override a setting, e.g. --set temporal.target=host:7233 (repeatable).")
  Map<String, String> overrides = new java.util.LinkedHashMap<>();

  public KindlingConfig load() {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    overrides.forEach(
        (key, value) -> {
          Setting setting = Setting.ofKey(key);
          if (setting == null) {
            throw new dev.kindling.workflows.InvalidInputException(
                "--set", "unknown setting '" + key + "' (see 'kindling config')");
          }
          flags.put(setting, value);
        });
    return KindlingConfig.load(file, System.getenv(), flags);
  }
}
