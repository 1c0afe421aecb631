package dev.kindling.workflows.egress;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Host names as an egress policy compares them: ASCII (internationalised names in their punycode
 * form), lower case, without a trailing dot, and only what DNS allows (labels of 1-63 letters,
 * digits and inner hyphens, at most 253 characters). An IP address literal is not a host name.
 */
public final class HostNames {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern ALL_DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");
  public static final int MAX_LENGTH = 253;

  private HostNames() {}

  /** The canonical form of {@code name}, or empty when it is no valid host name. */
  public static Optional<String> canonical(String name) {
    if (name == null || name.isEmpty() || name.length() > 4 * MAX_LENGTH) {
      return Optional.empty();
    }
    String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    String ascii;
    try {
      ascii = IDN.toASCII(trimmed, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (ascii.isEmpty()
        || ascii.length() > MAX_LENGTH
        || ALL_DIGITS_AND_DOTS.matcher(ascii).matches()) {
      return Optional.empty();
    }
    for (String label : ascii.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return Optional.empty();
      }
    }
    return Optional.of(ascii);
  }
}
