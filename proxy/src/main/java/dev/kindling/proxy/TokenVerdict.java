package dev.kindling.proxy;

import java.util.Optional;

/** What checking a session token found; anything but VALID names the outcome the browser sees. */
public enum TokenVerdict {
  VALID(null),
  MISSING(CloseOutcome.BAD_TOKEN),
  MALFORMED(CloseOutcome.BAD_TOKEN),
  FORGED(CloseOutcome.BAD_TOKEN),
  EXPIRED(CloseOutcome.EXPIRED_TOKEN),
  OTHER_SESSION(CloseOutcome.TOKEN_FOR_OTHER_SESSION);

  private final CloseOutcome rejection;

  TokenVerdict(CloseOutcome rejection) {
    this.rejection = rejection;
  }

  public Optional<CloseOutcome> rejection() {
    return Optional.ofNullable(rejection);
  }
}
