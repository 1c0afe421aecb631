package dev.kindling.host;

/** Text a peer sent, made safe to show in a log line or an error: short, without control chars. */
public final class Printable {
  private static final int MAX_CHARS = 120;

  private Printable() {}

  public static String of(String text) {
    return of(text, MAX_CHARS);
  }

  /** At most {@code maxChars} of {@code text} (then "..."), control characters as '?'. */
  public static String of(String text, int maxChars) {
    String shown = text.length() > maxChars ? text.substring(0, maxChars) + "..." : text;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }
}
