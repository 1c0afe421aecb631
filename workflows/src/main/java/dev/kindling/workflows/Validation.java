package dev.kindling.workflows;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Checks every identifier that can reach a command line, a file path or an interface name. Each
 * method returns its argument when it is valid and throws {@link InvalidInputException} otherwise.
 */
public final class Validation {
  private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final Pattern HOST = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
  private static final Pattern VM = Pattern.compile("vm[0-9a-f]{10}");
  private static final Pattern IMAGE = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern TEMPLATE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]+");

  /** Linux IFNAMSIZ is 16 including the terminating NUL. */
  public static final int MAX_IFNAME_BYTES = 15;

  private Validation() {}

  public static String sessionId(String value) {
    return matching(
        "sessionId",
        value,
        SESSION,
        "1-64 characters of letters, digits, '_', '.', '-', starting with a letter or digit");
  }

  public static String hostId(String value) {
    return matching("hostId", value, HOST, "1-32 lowercase letters, digits or '-'");
  }

  public static String vmId(String value) {
    return matching("vmId", value, VM, "'vm' followed by 10 lowercase hex digits");
  }

  public static String imageId(String value) {
    return matching("imageId", value, IMAGE, "a sha-256 content hash: 64 lowercase hex digits");
  }

  public static String templateId(String value) {
    return matching(
        "template",
        value,
        TEMPLATE,
        "1-32 lowercase letters, digits or '-', starting with a letter");
  }

  public static String interfaceName(String value) {
    matching("interface", value, IFNAME, "letters, digits, '_', '.', '-'");
    if (value.getBytes(StandardCharsets.UTF_8).length > MAX_IFNAME_BYTES) {
      throw new InvalidInputException(
          "interface", "'" + value + "' is longer than " + MAX_IFNAME_BYTES + " bytes");
    }
    return value;
  }

  public static long positiveSeconds(String field, long value) {
    if (value <= 0) {
      throw new InvalidInputException(field, "must be a positive number of seconds, was " + value);
    }
    return value;
  }

  private static String matching(String field, String value, Pattern pattern, String rule) {
    if (value == null || value.isEmpty()) {
      throw new InvalidInputException(field, "is required (" + rule + ")");
    }
    if (!pattern.matcher(value).matches()) {
      throw new InvalidInputException(field, "'" + printable(value) + "' is not valid: " + rule);
    }
    return value;
  }

  private static String printable(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }
}
