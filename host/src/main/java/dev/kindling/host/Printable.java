package dev.kindling.host;

/** Text a peer sent, made safe to show in a log line or an error: short, without control chars. */
public final class Printable {
  private static final int MAX_CHARS = 120;

  private Printable() {}

  public static String of(String text) {
    String shown = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) + "..." : text;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }
}
