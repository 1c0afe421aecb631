package dev.kindling.proxy;

import java.util.Locale;
import java.util.Optional;

/** What a session token lets a browser do: use the desktop, or only watch it. */
public enum Scope {
  /** Keys, pointer and clipboard reach the VM; one control connection per session at a time. */
  CONTROL,
  /** Only the screen: the proxy drops the browser's keys, pointer and clipboard. */
  VIEW;

  /** How the scope is written in a token and on the command line. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Scope> fromWire(String text) {
    for (Scope scope : values()) {
      if (scope.wire().equals(text)) {
        return Optional.of(scope);
      }
    }
    return Optional.empty();
  }
}
