package dev.kindling.snapshot;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.KindedException;

/** A build step failed; nothing was published (FailureKind ImageBuildFailed). */
public final class ImageBuildException extends KindedException {
  public ImageBuildException(String message, Throwable cause) {
    super(FailureKind.IMAGE_BUILD_FAILED, message, cause);
  }
}
