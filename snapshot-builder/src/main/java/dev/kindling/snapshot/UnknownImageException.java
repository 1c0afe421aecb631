package dev.kindling.snapshot;

import dev.kindling.workflows.FailureKind;

/** No published image has this id (FailureKind UnknownImage). */
public final class UnknownImageException extends RuntimeException {
  private final String imageId;

  public UnknownImageException(String imageId, String message) {
    super(message);
    this.imageId = imageId;
  }

  public String imageId() {
    return imageId;
  }

  public FailureKind kind() {
    return FailureKind.UNKNOWN_IMAGE;
  }
}
