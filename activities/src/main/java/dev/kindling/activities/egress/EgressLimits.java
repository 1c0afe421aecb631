package dev.kindling.activities.egress;

import dev.kindling.workflows.InvalidInputException;
import java.time.Duration;

/**
 * How much of the egress proxy one VM may use.
 *
 * @param maxConnectionsPerVm connections open at once, counting those still sending their request
 *     head; more are refused with 429
 * @param idleTimeout a relayed connection with no bytes either way for this long is closed
 * @param headTimeout the whole request head must arrive within this, however it trickles in
 * @param connectTimeout for each address tried upstream
 * @param maxHeadBytes the request line and headers together, at most
 * @param maxBytesPerVm bytes to and from the guest together, after which its connections are cut
 *     and new requests refused; 0 for no limit
 */
public record EgressLimits(
    int maxConnectionsPerVm,
    Duration idleTimeout,
    Duration headTimeout,
    Duration connectTimeout,
    int maxHeadBytes,
    long maxBytesPerVm) {

  public EgressLimits {
    positive("maxConnectionsPerVm", maxConnectionsPerVm);
    positive("idleTimeout", idleTimeout);
    positive("headTimeout", headTimeout);
    positive("connectTimeout", connectTimeout);
    positive("maxHeadBytes", maxHeadBytes);
    if (maxBytesPerVm < 0) {
      throw new InvalidInputException(
          "egress.maxBytesPerVm", "must be 0 (no limit) or positive, not " + maxBytesPerVm);
    }
  }

  public static EgressLimits defaults() {
    return new EgressLimits(
        64, Duration.ofMinutes(5), Duration.ofSeconds(10), Duration.ofSeconds(10), 16 * 1024, 0);
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new InvalidInputException("egress." + name, "must be positive, not " + value);
    }
  }

  private static void positive(String name, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new InvalidInputException(
          "egress." + name, "must be a positive duration, not " + value);
    }
  }
}
