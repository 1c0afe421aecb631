package dev.kindling.activities.readiness;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Whether a VM's VMM process is still running. Readiness races every stage against it, so a VMM
 * that dies mid-boot fails the probe at once instead of at the deadline. Implementations must be
 * cheap: the probe asks every few milliseconds.
 */
@FunctionalInterface
public interface VmmLiveness {
  /** A liveness that never reports an exit, for callers that have no VMM to watch. */
  VmmLiveness UNKNOWN = Optional::empty;

  /** A liveness backed by a cheap check of whether the VM's VMM process still runs. */
  static VmmLiveness whileAlive(String vmId, java.util.function.BooleanSupplier alive) {
    return () ->
        alive.getAsBoolean()
            ? Optional.empty()
            : Optional.of("the VMM process of " + vmId + " is gone");
  }

  /**
   * Empty while the VMM runs; once it has exited, why (for example "qemu exited with status 1").
   */
  Optional<String> exitReason();

  /** The VMM's exit status once it has exited, when known. */
  default OptionalInt exitCode() {
    return OptionalInt.empty();
  }
}
