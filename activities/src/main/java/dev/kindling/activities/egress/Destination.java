package dev.kindling.activities.egress;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a request asks to go: {@code CONNECT host:port} (a tunnel) or an absolute {@code
 * http://host[:port]/path} URL (forwarded in origin-form).
 *
 * @param host as written, an IPv6 literal with its brackets
 * @param authority {@code host[:port]} as written, what a forwarded request's Host header says
 * @param path a forwarded request's path and query; null for a tunnel
 */
record Destination(String host, int port, String authority, String path) {
  private static final int HTTP_PORT = 80;
  private static final Pattern REG_NAME = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=%-]+");
  private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9A-Fa-f:.]+\\]");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  boolean isTunnel() {
    return path == null;
  }

  /**
   * @throws Refused 400 naming what is wrong, and how to ask instead
   */
  static Destination of(RequestHead head) throws Refused {
    String target = head.target();
    if (head.isConnect()) {
      return at(target, 0, null);
    }
    int schemeEnd = target.indexOf("://");
    if (schemeEnd < 0) {
      throw Refused.malformed(
          400, "this proxy needs absolute URLs (http://host/path), or CONNECT host:port for https");
    }
    String scheme = target.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
    if (scheme.equals("https")) {
      throw Refused.malformed(400, "https goes through CONNECT host:port, not as an https:// URL");
    }
    if (!scheme.equals("http")) {
      throw Refused.malformed(400, "only http:// URLs are forwarded; use CONNECT for the rest");
    }
    String rest = target.substring(schemeEnd + 3);
    int pathStart = rest.length();
    for (char c : new char[] {'/', '?', '#'}) {
      int at = rest.indexOf(c);
      if (at >= 0 && at < pathStart) {
        pathStart = at;
      }
    }
    String path = rest.substring(pathStart);
    int fragment = path.indexOf('#');
    if (fragment >= 0) {
      path = path.substring(0, fragment);
    }
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    return at(rest.substring(0, pathStart), HTTP_PORT, path);
  }

  /** Parses {@code host[:port]}; {@code defaultPort} 0 means the port is required. */
  private static Destination at(String authority, int defaultPort, String path) throws Refused {
    if (authority.indexOf('@') >= 0) {
      throw Refused.malformed(400, "user names in the address are not supported");
    }
    String host;
    String port;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      host = close < 0 ? authority : authority.substring(0, close + 1);
      if (!IPV6_LITERAL.matcher(host).matches()) {
        throw Refused.malformed(400, "the address is not host:port");
      }
      String after = authority.substring(host.length());
      if (!after.isEmpty() && !after.startsWith(":")) {
        throw Refused.malformed(400, "the address is not host:port");
      }
      port = after.isEmpty() ? null : after.substring(1);
    } else {
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      port = colon < 0 ? null : authority.substring(colon + 1);
      if (host.isEmpty()) {
        throw Refused.malformed(400, "the request names no host");
      }
      if (!REG_NAME.matcher(host).matches()) {
        throw Refused.malformed(
            400, "the address is not host:port (an IPv6 address needs [brackets])");
      }
    }
    return new Destination(host, port(port, defaultPort), authority, path);
  }

  private static int port(String text, int defaultPort) throws Refused {
    if (text == null || text.isEmpty()) {
      if (defaultPort == 0) {
        throw Refused.malformed(400, "CONNECT needs host:port");
      }
      return defaultPort;
    }
    int port = PORT.matcher(text).matches() ? Integer.parseInt(text) : 0;
    if (port < 1 || port > 65535) {
      throw Refused.malformed(400, "the port is not a number from 1 to 65535");
    }
    return port;
  }
}
