package dev.kindling.activities.vmm;

import dev.kindling.workflows.FailureKind;

/** A VMM operation that failed, with the {@link FailureKind} a workflow should see. */
public final class VmmException extends RuntimeException {
  private final FailureKind kind;

  public VmmException(FailureKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public VmmException(FailureKind kind, String message) {
    this(kind, message, null);
  }

  public FailureKind kind() {
    return kind;
  }
}
