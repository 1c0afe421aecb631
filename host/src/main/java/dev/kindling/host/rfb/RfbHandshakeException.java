package dev.kindling.host.rfb;

import java.io.IOException;

/** An RFB handshake that did not reach ServerInit; {@link #step()} says how far it got. */
public final class RfbHandshakeException extends IOException {
  /** Handshake steps, in order. */
  public enum Step {
    BANNER,
    SECURITY_TYPES,
    AUTHENTICATION,
    SECURITY_RESULT,
    SERVER_INIT
  }

  private final Step step;
  private final boolean rejected;

  public RfbHandshakeException(Step step, String message, boolean rejected, Throwable cause) {
    super(step.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": " + message, cause);
    this.step = step;
    this.rejected = rejected;
  }

  public Step step() {
    return step;
  }

  /** True when the server answered and said no (bad password, no usable security type). */
  public boolean rejected() {
    return rejected;
  }
}
