package dev.kindling.host.images;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.KindedException;

/**
 * A snapshot that is missing or was not made from the image it is paired with (FailureKind
 * SnapshotMismatch).
 */
public final class SnapshotMismatchException extends KindedException {
  public SnapshotMismatchException(String message) {
    super(FailureKind.SNAPSHOT_MISMATCH, message);
  }
}
