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
  FAILED
}
