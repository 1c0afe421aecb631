package dev.kindling.activities.vmm;

import java.time.Duration;
import java.util.Map;

/**
 * How this host runs Firecracker.
 *
 * @param binary default {@code firecracker}; env KINDLING_FIRECRACKER
 * @param apiTimeout how long one API request may take
 * @param startTimeout how long the API socket may take to appear after the process starts
 */
public record FirecrackerConfig(String binary, Duration apiTimeout, Duration startTimeout) {
  public static FirecrackerConfig fromEnvironment() {
    return from(System.getenv());
  }

  public static FirecrackerConfig from(Map<String, String> env) {
    return new FirecrackerConfig(env.getOrDefault("KINDLING_FIRECRACKER", "firecracker"), Duration.ofSeconds(10), Duration.ofSeconds(10));
  }
}
