package dev.kindling.activities.image;

import java.time.Duration;

/**
 * How {@link ImageVerifier} boots its VM.
 *
 * @param memoryMib guest memory; 0: the image's template default
 * @param vcpus guest vCPUs; 0: the image's template default
 * @param readinessTimeout how long the VM may take from boot to a complete RFB handshake
 */
public record VerifySettings(int memoryMib, int vcpus, Duration readinessTimeout) {
  public VerifySettings {
    if (memoryMib < 0 || vcpus < 0) {
      throw new IllegalArgumentException("memoryMib and vcpus must not be negative");
    }
    if (readinessTimeout.isNegative() || readinessTimeout.isZero()) {
      throw new IllegalArgumentException("readinessTimeout must be positive");
    }
  }

  /**
   * The template's guest size, five minutes: a cold boot of the browser template takes about a
   * minute under TCG on a small shared host.
   */
  public static VerifySettings defaults() {
    return new VerifySettings(0, 0, Duration.ofSeconds(300));
  }

  public VerifySettings withReadinessTimeout(Duration value) {
    return new VerifySettings(memoryMib, vcpus, value);
  }
}
