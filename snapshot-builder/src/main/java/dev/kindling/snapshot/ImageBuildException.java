package dev.kindling.snapshot;

import dev.kindling.workflows.FailureKind;

/** A build step failed; nothing was published (FailureKind ImageBuildFailed). */
public final class ImageBuildException extends RuntimeException {
  public ImageBuildException(String message, Throwable cause) {
    super(message, cause);
  }

  public FailureKind kind() {
    return FailureKind.IMAGE_BUILD_FAILED;
  }
}
