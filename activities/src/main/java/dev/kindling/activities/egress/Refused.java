package dev.kindling.activities.egress;

/**
 * A request the proxy answers with an error status instead of a connection.
 *
 * @see RefusalResponse
 */
final class Refused extends Exception {
  private final int status;
  private final String host;
  private final int port;

  /**
   * @param host the host as the guest wrote it (made printable and cut to a name's length), or null
   * @param port the port it asked for, or 0
   * @param reason one sentence the guest receives
   */
  Refused(int status, String host, int port, String reason) {
    super(reason, null, false, false);
    this.status = status;
    this.host = host;
    this.port = port;
  }

  /** A request that could not be read or understood, before any host was known. */
  static Refused malformed(int status, String reason) {
    return new Refused(status, null, 0, reason);
  }

  int status() {
    return status;
  }

  String host() {
    return host;
  }

  int port() {
    return port;
  }

  String reason() {
    return getMessage();
  }
}
