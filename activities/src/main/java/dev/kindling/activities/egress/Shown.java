package dev.kindling.activities.egress;

/** What the guest wrote, made safe to log and to echo: printable ASCII only, and cut short. */
final class Shown {
  static final int MAX_HOST = 253;
  private static final int MAX_TEXT = 200;

  private Shown() {}

  /** A host as written, at most {@value #MAX_HOST} characters. */
  static String host(String host) {
    return host == null ? null : printable(host, MAX_HOST);
  }

  /** Any other text that came from outside (a guest's request, an exception's message). */
  static String text(String text) {
    return text == null ? "" : printable(text, MAX_TEXT);
  }

  private static String printable(String text, int max) {
    String cut = text.length() > max ? text.substring(0, max) : text;
    StringBuilder out = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      out.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return out.toString();
  }
}
