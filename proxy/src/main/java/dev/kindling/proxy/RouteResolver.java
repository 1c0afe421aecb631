package dev.kindling.proxy;

/**
 * Finds where a session's VM is. Implementations may block; the proxy calls them off the I/O
 * threads.
 */
public interface RouteResolver {

  Resolution resolve(String sessionId);

  /**
   * Forgets anything cached for {@code sessionId}, e.g. after its upstream could not be reached.
   */
  default void invalidate(String sessionId) {}

  /** The answer for one session. */
  sealed interface Resolution {
    /** The session's VM is ready at {@code route}. */
    record Found(Route route) implements Resolution {}

    /** No VM serves this session (never existed, or it ended). */
    record Unknown(String detail) implements Resolution {}

    /** A VM is being prepared for this session; the browser should try again shortly. */
    record NotReady(String detail) implements Resolution {}

    /** The VM is ready but its endpoint cannot be used (for example it names no namespace). */
    record Unroutable(String detail) implements Resolution {}

    /**
     * The VM is ready on another host, whose proxy serves it.
     *
     * @param hostId the VM's host
     * @param pageUrl the session's page on that host's proxy, or null when the host publishes none
     */
    record Elsewhere(String hostId, String pageUrl) implements Resolution {}
  }
}
