package dev.kindling.workflows.client;

import dev.kindling.workflows.vm.VmDescription;

/**
 * A browser VM that will not become ready: it failed (with a {@code FailureKind} type such as
 * {@code WebsockifyRefused}) or its lease ended first.
 */
public final class VmFailedException extends RuntimeException {
  private final transient VmDescription description;

  public VmFailedException(VmDescription description) {
    super(
        "session "
            + description.sessionId()
            + " is "
            + description.phase()
            + (description.failureType() == null
                ? ""
                : ": " + description.failureType() + ": " + description.failureMessage()));
    this.description = description;
  }

  /** The failure type, or null when the VM was released before it became ready. */
  public String failureType() {
    return description.failureType();
  }

  public VmDescription description() {
    return description;
  }
}
