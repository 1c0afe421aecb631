package dev.kindling.host;

import dev.kindling.host.exec.Commands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the Temporal CLI is on this host, whose {@code server start-dev} is the embedded default's
 * Temporal: the binary named by {@code KINDLING_TEMPORAL_CLI} (setting {@code temporal.cli}), else
 * the one bin/setup-host built into the tool cache for the pinned version, else {@code temporal} on
 * PATH.
 */
public final class TemporalCli {
  /**
   * The version bin/setup-host builds, from bin/temporal-cli.version (packaged beside this class).
   */
  public static final String VERSION = pinnedVersion();

  private TemporalCli() {}

  /** {@code named} when not blank (it must exist), else the cached build, else PATH. */
  public static Optional<Path> find(String named, HostPaths paths) {
    if (named != null && !named.isBlank()) {
      return Commands.locate(named.strip());
    }
    Path cached = cachedBinary(paths);
    if (Files.isExecutable(cached)) {
      return Optional.of(cached);
    }
    return Commands.locate("temporal");
  }

  /** {@code <cache>/tools/temporal-<version>/temporal}, where bin/setup-host builds it. */
  public static Path cachedBinary(HostPaths paths) {
    return paths.cacheDir().resolve("tools").resolve("temporal-" + VERSION).resolve("temporal");
  }

  /** What to tell someone who has none. */
  public static String missing(String named, HostPaths paths) {
    if (named != null && !named.isBlank()) {
      return "the Temporal CLI '" + named.strip() + "' (temporal.cli) is not an executable file";
    }
    return "no Temporal CLI: neither "
        + cachedBinary(paths)
        + " (bin/setup-host builds it) nor 'temporal' on PATH;"
        + " run bin/setup-host, or set KINDLING_TEMPORAL_CLI";
  }

  private static String pinnedVersion() {
    try (InputStream in = TemporalCli.class.getResourceAsStream("temporal-cli.version")) {
      if (in == null) {
        throw new IllegalStateException(
            "temporal-cli.version is missing from the classpath (the build copies bin/temporal-cli.version)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
