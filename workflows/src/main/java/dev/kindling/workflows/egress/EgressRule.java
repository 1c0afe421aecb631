package dev.kindling.workflows.egress;

import dev.kindling.workflows.InvalidInputException;

/**
 * One entry of an egress allow-list: a host name, or {@code *.suffix} for every name under the
 * suffix (not the suffix itself), and one port. Written {@code name:port} or {@code *.suffix:port};
 * without a port it means 443.
 *
 * @param pattern the canonical name or {@code *.}canonical suffix ({@link HostNames})
 */
public record EgressRule(String pattern, int port) {
  public static final int DEFAULT_PORT = 443;
  private static final String FIELD = "egress";

  /**
   * Parses one entry as a backend writes it.
   *
   * @throws InvalidInputException naming the entry and what is wrong with it
   */
  public static EgressRule parse(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidInputException(FIELD, "an entry is empty");
    }
    if (text.length() > 300) {
      throw new InvalidInputException(FIELD, "an entry is longer than 300 characters");
    }
    String hostPart = text;
    int port = DEFAULT_PORT;
    int colon = text.lastIndexOf(':');
    if (colon >= 0) {
      hostPart = text.substring(0, colon);
      port = port(text, text.substring(colon + 1));
    }
    boolean wildcard = hostPart.startsWith("*.");
    String name = wildcard ? hostPart.substring(2) : hostPart;
    String canonical =
        HostNames.canonical(name)
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        FIELD,
                        "'"
                            + shown(text)
                            + "' is not a host name or *.suffix with an optional :port (IP addresses"
                            + " and other wildcards are not allowed)"));
    if (wildcard && !canonical.contains(".")) {
      throw new InvalidInputException(
          FIELD, "'" + shown(text) + "' would allow a whole top-level domain");
    }
    return new EgressRule(wildcard ? "*." + canonical : canonical, port);
  }

  /**
   * Whether a request for {@code canonicalHost} (see {@link HostNames}) on {@code port} matches.
   */
  public boolean matches(String canonicalHost, int port) {
    if (port != this.port) {
      return false;
    }
    if (pattern.startsWith("*.")) {
      return canonicalHost.endsWith(pattern.substring(1));
    }
    return canonicalHost.equals(pattern);
  }

  @Override
  public String toString() {
    return pattern + ":" + port;
  }

  private static int port(String text, String digits) {
    try {
      int port = Integer.parseInt(digits);
      if (port >= 1 && port <= 65535 && digits.equals(Integer.toString(port))) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Told below.
    }
    throw new InvalidInputException(
        FIELD, "'" + shown(text) + "' has no valid port (1-65535 after the last ':')");
  }

  private static String shown(String text) {
    String cut = text.length() > 80 ? text.substring(0, 80) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
