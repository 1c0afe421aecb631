package dev.kindling.activities.testing;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A real Temporal server for a test, as opposed to the embedded test server: the one named by
 * {@code KINDLING_TEST_TEMPORAL_TARGET} when set (the test's caller chose it), else a development
 * server of the Temporal CLI started for the test and stopped by {@link #close()}.
 */
public final class RealTemporal implements AutoCloseable {
  public static final String TARGET_ENV = "KINDLING_TEST_TEMPORAL_TARGET";

  private final String target;
  private final TemporalDevServer devServer;

  private RealTemporal(String target, TemporalDevServer devServer) {
    this.target = target;
    this.devServer = devServer;
  }

  /** True when {@link #open} can provide a server on this host. */
  public static boolean available() {
    return configuredTarget().isPresent() || TemporalCli.find().isPresent();
  }

  /** The configured server, else a dev server writing its output under {@code logDir}. */
  public static RealTemporal open(Path logDir) {
    Optional<String> configured = configuredTarget();
    if (configured.isPresent()) {
      return new RealTemporal(configured.get(), null);
    }
    Path cli = TemporalCli.find().orElseThrow(() -> new IllegalStateException(
        "no Temporal CLI and no " + TARGET_ENV + ": " + HostCapability.REAL_TEMPORAL.description()));
    TemporalDevServer server = TemporalDevServer.start(cli, logDir);
    return new RealTemporal(server.target(), server);
  }

  public String target() {
    return target;
  }

  @Override
  public String toString() {
    return devServer == null ? target + " (" + TARGET_ENV + ")" : target + " (Temporal dev server, output in " + devServer.logFile() + ")";
  }

  @Override
  public void close() {
    if (devServer != null) {
      devServer.close();
    }
  }

  private static Optional<String> configuredTarget() {
    String target = System.getenv(TARGET_ENV);
    return target == null || target.isBlank() ? Optional.empty() : Optional.of(target.strip());
  }
}
