package dev.kindling.proxy;

import java.util.Locale;
import java.util.Optional;

/** What happens when a control link opens while another controls the same session. */
public enum ControlPolicy {
  /** The new link controls; the previous one stays open, view-only. */
  TAKE_OVER,
  /** The new link controls; the previous one is closed ({@link CloseOutcome#CONTROL_TAKEN}). */
  TAKE_OVER_AND_CLOSE,
  /** The new link is refused ({@link CloseOutcome#CONTROL_HELD}) while another controls. */
  REFUSE;

  /** As written in settings: {@code take-over}, {@code take-over-and-close}, {@code refuse}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Optional<ControlPolicy> fromWire(String text) {
    for (ControlPolicy policy : values()) {
      if (policy.wire().equals(text)) {
        return Optional.of(policy);
      }
    }
    return Optional.empty();
  }
}
