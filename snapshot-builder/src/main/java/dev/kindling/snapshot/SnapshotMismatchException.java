package dev.kindling.snapshot;

import dev.kindling.workflows.FailureKind;

/** A snapshot that is missing or was not made from the image it is paired with (FailureKind SnapshotMismatch). */
public final class SnapshotMismatchException extends RuntimeException {
  public SnapshotMismatchException(String message) {
    super(message);
  }

  public FailureKind kind() {
    return FailureKind.SNAPSHOT_MISMATCH;
  }
}
