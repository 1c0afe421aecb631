package dev.kindling.activities.testing;

import dev.kindling.activities.exec.Commands;
import dev.kindling.activities.host.HostPaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the Temporal CLI is on this host, for tests that run its development server: the binary
 * named by {@code KINDLING_TEMPORAL_CLI}, else the one bin/setup-host built into the tool cache for
 * the version pinned in {@code bin/temporal-cli.version}, else {@code temporal} on PATH.
 */
public final class TemporalCli {
  public static final String ENV = "KINDLING_TEMPORAL_CLI";

  private TemporalCli() {}

  public static Optional<Path> find() {
    String named = System.getenv(ENV);
    if (named != null && !named.isBlank()) {
      return Commands.locate(named.strip());
    }
    Optional<Path> cached = cachedBinary().filter(Files::isExecutable);
    if (cached.isPresent()) {
      return cached;
    }
    return Commands.locate("temporal");
  }

  /** {@code <cache>/tools/temporal-<version>/temporal}, the path bin/setup-host builds to; empty when the version file is missing. */
  static Optional<Path> cachedBinary() {
    Path versionFile = Path.of(System.getProperty("kindling.repo.root", "."), "bin", "temporal-cli.version");
    if (!Files.isRegularFile(versionFile)) {
      return Optional.empty();
    }
    try {
      String version = Files.readString(versionFile).strip();
      return Optional.of(HostPaths.fromEnvironment().cacheDir().resolve("tools").resolve("temporal-" + version).resolve("temporal"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
