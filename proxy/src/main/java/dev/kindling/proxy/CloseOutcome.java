package dev.kindling.proxy;

import java.nio.charset.StandardCharsets;

/**
 * Every way a proxied connection can end, each with the HTTP status used when the request was not
 * upgraded, the WebSocket close code the browser sees, a human reason and who is to blame. The
 * blame decides the log level: a browser's mistake is routine, a VM's failure is a warning and the
 * proxy's own failure is an error.
 *
 * <p>Where RFC 6455 (section 7.4.1) has a code for the outcome, it is that code; the others are
 * 4000 plus the closest HTTP status, so a reader of a browser console can guess them. A request
 * that is not a WebSocket upgrade only ever gets its HTTP status, so its code (4426) is seen only
 * in metrics; the standard 1002 belongs to a browser that breaks the protocol. A session whose VM
 * lives on another host closes with 4308, 4000 plus a redirect's status, since only that host's
 * proxy can serve it; where an HTTP status answers instead it is 421 Misdirected Request, and the
 * session's page is redirected (307) to that host's proxy when the host publishes one.
 */
public enum CloseOutcome {
  NOT_A_WEBSOCKET(426, 4426, Blame.CLIENT, "this address only accepts WebSocket upgrades"),
  UNKNOWN_SESSION(404, 4404, Blame.CLIENT, "unknown session: no browser VM for this session"),
  BAD_TOKEN(401, 4401, Blame.CLIENT, "invalid token: ask the application for a new link"),
  EXPIRED_TOKEN(401, 4411, Blame.CLIENT, "token expired: ask the application for a new link"),
  TOKEN_FOR_OTHER_SESSION(403, 4403, Blame.CLIENT, "token belongs to another session"),
  ORIGIN_REJECTED(403, 1008, Blame.CLIENT, "origin not allowed to open this session"),
  LIMIT_REACHED(429, 4429, Blame.CLIENT, "too many connections to this session"),
  PROXY_FULL(
      503,
      4513,
      Blame.NONE,
      "proxy full: it holds all the connections it can, try again in a few seconds"),
  VM_NOT_READY(503, 4503, Blame.NONE, "VM not ready yet: try again in a few seconds"),
  SESSION_ON_ANOTHER_HOST(421, 4308, Blame.NONE, "session lives on another host"),
  VM_UNREACHABLE(
      502, 4502, Blame.UPSTREAM, "VM unreachable: its websockify did not accept a connection"),
  UPSTREAM_HANDSHAKE_FAILED(502, 4512, Blame.UPSTREAM, "VM refused the WebSocket handshake"),
  VNC_AUTH_FAILED(502, 4515, Blame.UPSTREAM, "VM's VNC server refused the proxy's password"),
  UPSTREAM_RFB_FAILED(
      502, 4516, Blame.UPSTREAM, "VM's VNC server did not complete the RFB handshake"),
  UPSTREAM_CLOSED(502, 4510, Blame.UPSTREAM, "VM closed the connection"),
  UPSTREAM_STALLED(504, 4504, Blame.UPSTREAM, "VM stopped reading: write timed out"),
  BROWSER_CLOSED(499, 1000, Blame.CLIENT, "browser closed the connection"),
  BROWSER_TOO_SLOW(408, 4408, Blame.CLIENT, "browser stopped reading: write timed out"),
  BROWSER_PROTOCOL_ERROR(400, 1002, Blame.CLIENT, "browser broke the WebSocket protocol"),
  BROWSER_MESSAGE_TOO_BIG(413, 1009, Blame.CLIENT, "browser sent a message too big to relay"),
  BROWSER_RFB_ERROR(400, 4400, Blame.CLIENT, "browser broke the RFB protocol"),
  CONTROL_HELD(423, 4423, Blame.CLIENT, "another viewer holds control of this session"),
  CONTROL_TAKEN(409, 4409, Blame.NONE, "control taken by another viewer"),
  IDLE_TIMEOUT(408, 4000, Blame.CLIENT, "idle timeout: nothing was sent either way for too long"),
  PROXY_SHUTTING_DOWN(503, 1001, Blame.NONE, "proxy shutting down: reconnect"),
  INTERNAL_ERROR(500, 1011, Blame.PROXY, "internal proxy error");

  /** Who caused an outcome; it decides how loudly the proxy logs it. */
  public enum Blame {
    NONE,
    CLIENT,
    UPSTREAM,
    PROXY
  }

  /** RFC 6455 limits a close reason to 123 bytes of UTF-8. */
  public static final int MAX_REASON_BYTES = 123;

  private final int httpStatus;
  private final int closeCode;
  private final Blame blame;
  private final String reason;

  CloseOutcome(int httpStatus, int closeCode, Blame blame, String reason) {
    this.httpStatus = httpStatus;
    this.closeCode = closeCode;
    this.blame = blame;
    this.reason = reason;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int closeCode() {
    return closeCode;
  }

  public Blame blame() {
    return blame;
  }

  public String reason() {
    return reason;
  }

  /**
   * The reason with {@code detail} appended when it fits the close frame; otherwise the bare
   * reason.
   */
  public String reasonWith(String detail) {
    if (detail == null || detail.isBlank()) {
      return reason;
    }
    return fitReason(reason + " (" + detail + ")", reason);
  }

  /**
   * {@link #SESSION_ON_ANOTHER_HOST}'s reason for a session on {@code hostId}, with the session's
   * page there ({@code pageUrl}, may be null) when that fits a close frame: {@code session lives on
   * another host h2: http://h2.example:6090/sessions/s-1/}, else {@code session lives on another
   * host h2}.
   */
  static String onAnotherHost(String hostId, String pageUrl) {
    String named = SESSION_ON_ANOTHER_HOST.reason + " " + hostId;
    return pageUrl == null ? fitReason(named, named) : fitReason(named + ": " + pageUrl, named);
  }

  /** {@code text} when it fits a close frame, else {@code fallback} cut to fit. */
  static String fitReason(String text, String fallback) {
    if (text.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
      return text;
    }
    byte[] bytes = fallback.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return fallback;
    }
    return new String(bytes, 0, MAX_REASON_BYTES - 3, StandardCharsets.UTF_8).replace("\uFFFD", "")
        + "...";
  }

  /** The outcome that closes with {@code code}; INTERNAL_ERROR when no row does. */
  static CloseOutcome withCloseCode(int code) {
    for (CloseOutcome outcome : values()) {
      if (outcome.closeCode() == code) {
        return outcome;
      }
    }
    return INTERNAL_ERROR;
  }

  /**
   * Codes a peer may legally put in a close frame (1005, 1006 and 1015 are reserved for reporting).
   */
  static boolean transmittable(int code) {
    return (code >= 1000 && code <= 1003)
        || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999);
  }
}
