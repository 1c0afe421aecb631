package dev.kindling.activities.vmm;

import java.time.Duration;

/**
 * How this host runs Firecracker.
 *
 * @param binary default {@code firecracker}, found on PATH
 * @param apiTimeout how long one API request may take
 * @param startTimeout how long the API socket may take to appear after the process starts
 */
public record FirecrackerConfig(String binary, Duration apiTimeout, Duration startTimeout) {
  public static FirecrackerConfig defaults() {
    return new FirecrackerConfig("firecracker", Duration.ofSeconds(10), Duration.ofSeconds(10));
  }
}
