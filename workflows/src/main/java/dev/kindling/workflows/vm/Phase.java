package dev.kindling.workflows.vm;

/** A browser VM's lifecycle phases, in order; FAILED and RELEASED are terminal. */
public enum Phase {
  PLACING,
  NETWORK,
  BOOTING,
  READINESS,
  READY,
  RELEASING,
  RELEASED,
  FAILED;

  /** READY, or past the point where a VM that is not READY could still become ready. */
  public boolean settled() {
    return compareTo(READY) >= 0;
  }
}
