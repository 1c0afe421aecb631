package dev.kindling.host.images;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.KindedException;

/** No published image has this id (FailureKind UnknownImage). */
public final class UnknownImageException extends KindedException {
  private final String imageId;

  public UnknownImageException(String imageId, String message) {
    super(FailureKind.UNKNOWN_IMAGE, message);
    this.imageId = imageId;
  }

  public String imageId() {
    return imageId;
  }
}
