package dev.kindling.activities.vmm;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.KindedException;

/** A VMM operation that failed, with the {@link FailureKind} a workflow should see. */
public final class VmmException extends KindedException {
  public VmmException(FailureKind kind, String message, Throwable cause) {
    super(kind, message, cause);
  }

  public VmmException(FailureKind kind, String message) {
    super(kind, message);
  }
}
