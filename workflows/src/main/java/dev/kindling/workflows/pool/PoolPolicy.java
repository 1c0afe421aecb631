package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.InvalidInputException;

/**
 * How many ready VMs of one template a host keeps waiting for sessions.
 *
 * @param target ready VMs to keep; 0 disables the pool
 * @param maxAgeSeconds a ready VM older than this is replaced; 0 keeps VMs however old
 * @param maxMemoryMib the pool's VMs together use at most this much guest memory (the target is cut
 *     to fit); 0 for no cap
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolPolicy(int target, long maxAgeSeconds, int maxMemoryMib) {
  public static final int MAX_TARGET = 32;
  public static final PoolPolicy DISABLED = new PoolPolicy(0, 0, 0);

  /** Checks every field; names the first bad one. */
  public PoolPolicy validated() {
    if (target < 0 || target > MAX_TARGET) {
      throw new InvalidInputException(
          "pool.target", "must be between 0 and " + MAX_TARGET + ", was " + target);
    }
    if (maxAgeSeconds < 0 || maxAgeSeconds > 7 * 24 * 3600) {
      throw new InvalidInputException(
          "pool.maxAgeSeconds", "must be between 0 and 604800 (a week), was " + maxAgeSeconds);
    }
    if (maxMemoryMib < 0) {
      throw new InvalidInputException(
          "pool.maxMemoryMib", "must not be negative, was " + maxMemoryMib);
    }
    return this;
  }

  public PoolPolicy withTarget(int value) {
    return new PoolPolicy(value, maxAgeSeconds, maxMemoryMib);
  }

  /** The target cut to the memory cap, for VMs of {@code vmMemoryMib} each. */
  public int targetFor(int vmMemoryMib) {
    if (maxMemoryMib == 0 || vmMemoryMib <= 0) {
      return target;
    }
    return Math.min(target, maxMemoryMib / vmMemoryMib);
  }
}
