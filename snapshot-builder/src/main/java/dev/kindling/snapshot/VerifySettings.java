package dev.kindling.snapshot;

import java.time.Duration;

/**
 * How {@link ImageVerifier} boots its VM.
 *
 * @param memoryMib guest memory
 * @param vcpus guest vCPUs
 * @param readinessTimeout how long the VM may take from boot to a complete RFB handshake
 */
public record VerifySettings(int memoryMib, int vcpus, Duration readinessTimeout) {
  public VerifySettings {
    if (memoryMib <= 0 || vcpus <= 0) {
      throw new IllegalArgumentException("memoryMib and vcpus must be positive");
    }
    if (readinessTimeout.isNegative() || readinessTimeout.isZero()) {
      throw new IllegalArgumentException("readinessTimeout must be positive");
    }
  }

  /** 512 MiB, one vCPU, two minutes: a cold boot takes about 30 s under TCG on a small shared host. */
  public static VerifySettings defaults() {
    return new VerifySettings(512, 1, Duration.ofSeconds(120));
  }

  public VerifySettings withReadinessTimeout(Duration value) {
    return new VerifySettings(memoryMib, vcpus, value);
  }
}
