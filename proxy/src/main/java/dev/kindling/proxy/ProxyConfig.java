package dev.kindling.proxy;

import dev.kindling.workflows.Validation;
import dev.kindling.workflows.vm.VmDescription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How a proxy listens and relays. Build with {@link #builder()}; every setter documents its
 * default.
 *
 * @param bindHost address the proxy listens on
 * @param port TCP port, 0 for an ephemeral port (tests)
 * @param reusePort binds with SO_REUSEPORT, so that several proxy processes can listen on one port
 *     and the kernel spreads new connections across them
 * @param metricsPort a port of this process's own serving only {@code /metrics} and {@code
 *     /healthz} (on {@code bindHost}), -1 for none, 0 for an ephemeral one (tests)
 * @param pathPrefix routes are {@code <prefix>/<sessionId>/websockify} and {@code
 *     <prefix>/<sessionId>/}
 * @param tokenKey HMAC key for session tokens, or null in development mode (a random key is used)
 * @param allowedOrigins browser origins allowed to connect; empty means same origin only, "*" means
 *     any
 * @param pingInterval how often both sides are pinged; shorter than load balancers' idle timeouts
 * @param idleTimeout a session with no data either way for this long is closed
 * @param sessionConnectionLimit at most this many concurrent connections per session
 * @param maxConnections at most this many relayed connections in this process, pending and open
 *     alike; 0 derives it from the process's open-file limit ({@link ConnectionCapacity})
 * @param maxFrameBytes the largest frame or message relayed; a browser's larger ones close as
 *     {@link CloseOutcome#BROWSER_MESSAGE_TOO_BIG}
 * @param maxQueuedBytes per direction, how many bytes read from one side may wait to be written to
 *     the other before the proxy stops reading that side (one read takes at most this many)
 * @param writeTimeout a frame not written within this time closes the session
 * @param upstreamConnectTimeout how long connecting and upgrading to a VM's websockify may take
 * @param noVncDir where Debian's novnc package keeps noVNC
 * @param productionMode refuses to start without a configured token key
 * @param allowLoopbackUpstreams lets routes name the host's loopback; tests and benchmarks only
 * @param controlPolicy what a second control connection to a session does to the first
 * @param activityReportInterval at most one report of a session's viewers, and one of its input, to
 *     its workflow per this time
 * @param hostId the VM host this proxy runs on, or null when it does not know: a proxy that knows
 *     its host sends a browser asking for a session on another host there ({@link
 *     CloseOutcome#SESSION_ON_ANOTHER_HOST}); one that does not never redirects
 */
public record ProxyConfig(
    String bindHost,
    int port,
    boolean reusePort,
    int metricsPort,
    String pathPrefix,
    byte[] tokenKey,
    List<String> allowedOrigins,
    Duration pingInterval,
    Duration idleTimeout,
    int sessionConnectionLimit,
    int maxConnections,
    int maxFrameBytes,
    long maxQueuedBytes,
    Duration writeTimeout,
    Duration upstreamConnectTimeout,
    Path noVncDir,
    boolean productionMode,
    boolean allowLoopbackUpstreams,
    ControlPolicy controlPolicy,
    Duration activityReportInterval,
    String hostId) {

  public static final int MIN_FRAME_BYTES = 1 << 20;

  /**
   * Frames are relayed in pieces of at most one read, so the queue bound need not hold a whole
   * frame.
   */
  public static final int MIN_QUEUED_BYTES = 64 * 1024;

  public ProxyConfig {
    allowedOrigins = List.copyOf(allowedOrigins);
    tokenKey = tokenKey == null ? null : tokenKey.clone();
    if (!pathPrefix.startsWith("/") || pathPrefix.endsWith("/") && pathPrefix.length() > 1) {
      throw new IllegalArgumentException(
          "pathPrefix must start with '/' and not end with one: " + pathPrefix);
    }
    if (pathPrefix.equals("/")) {
      pathPrefix = "";
    }
    if (maxFrameBytes < MIN_FRAME_BYTES) {
      throw new IllegalArgumentException(
          "maxFrameBytes must be at least 1 MiB, was " + maxFrameBytes);
    }
    if (maxQueuedBytes < MIN_QUEUED_BYTES) {
      throw new IllegalArgumentException(
          "maxQueuedBytes must be at least "
              + MIN_QUEUED_BYTES
              + " (one read), was "
              + maxQueuedBytes);
    }
    if (sessionConnectionLimit < 1) {
      throw new IllegalArgumentException("sessionConnectionLimit must be at least 1");
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException(
          "metricsPort must be -1 (none), 0 (ephemeral) or a port, was " + metricsPort);
    }
    if (metricsPort > 0 && metricsPort == port) {
      throw new IllegalArgumentException(
          "metricsPort must differ from port " + port + ": it is this process's own");
    }
    if (maxConnections < 0) {
      throw new IllegalArgumentException(
          "maxConnections must be 0 (derived from the open-file limit) or positive, was "
              + maxConnections);
    }
    if (controlPolicy == null) {
      throw new IllegalArgumentException("controlPolicy is required");
    }
    for (Duration d :
        List.of(
            pingInterval,
            idleTimeout,
            writeTimeout,
            upstreamConnectTimeout,
            activityReportInterval)) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("durations must be positive: " + d);
      }
    }
    if (hostId != null) {
      Validation.hostId(hostId);
    }
    if (productionMode && tokenKey == null) {
      throw new IllegalArgumentException(
          "production mode requires a configured token key (never a default)");
    }
    if (productionMode && allowLoopbackUpstreams) {
      throw new IllegalArgumentException(
          "loopback upstreams are for tests and benchmarks, never production");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.bindHost = bindHost;
    b.port = port;
    b.reusePort = reusePort;
    b.metricsPort = metricsPort;
    b.pathPrefix = pathPrefix.isEmpty() ? "/" : pathPrefix;
    b.tokenKey = tokenKey;
    b.allowedOrigins = allowedOrigins;
    b.pingInterval = pingInterval;
    b.idleTimeout = idleTimeout;
    b.sessionConnectionLimit = sessionConnectionLimit;
    b.maxConnections = maxConnections;
    b.maxFrameBytes = maxFrameBytes;
    b.maxQueuedBytes = maxQueuedBytes;
    b.writeTimeout = writeTimeout;
    b.upstreamConnectTimeout = upstreamConnectTimeout;
    b.noVncDir = noVncDir;
    b.productionMode = productionMode;
    b.allowLoopbackUpstreams = allowLoopbackUpstreams;
    b.controlPolicy = controlPolicy;
    b.activityReportInterval = activityReportInterval;
    b.hostId = hostId;
    return b;
  }

  /** The path of a session's WebSocket. */
  public String websocketPath(String sessionId) {
    return pathPrefix + "/" + sessionId + "/websockify";
  }

  /** The path of a session's noVNC page. */
  public String pagePath(String sessionId) {
    return pathPrefix + "/" + sessionId + "/";
  }

  /** Builds a {@link ProxyConfig}; unset fields keep the defaults named on each setter. */
  public static final class Builder {
    private String bindHost = "127.0.0.1";
    private int port = 6090;
    private boolean reusePort;
    private int metricsPort = -1;
    private String pathPrefix = VmDescription.PAGE_PREFIX;
    private byte[] tokenKey;
    private List<String> allowedOrigins = List.of();
    private Duration pingInterval = Duration.ofSeconds(25);
    private Duration idleTimeout = Duration.ofMinutes(15);
    private int sessionConnectionLimit = 4;
    private int maxConnections;
    private int maxFrameBytes = 4 << 20;
    private long maxQueuedBytes = 1L << 20;
    private Duration writeTimeout = Duration.ofSeconds(20);
    private Duration upstreamConnectTimeout = Duration.ofSeconds(5);
    private Path noVncDir = Path.of("/usr/share/novnc");
    private boolean productionMode;
    private boolean allowLoopbackUpstreams;
    private ControlPolicy controlPolicy = ControlPolicy.TAKE_OVER;
    private Duration activityReportInterval = Duration.ofSeconds(10);
    private String hostId;

    private Builder() {}

    /** Default 127.0.0.1. */
    public Builder bindHost(String value) {
      bindHost = value;
      return this;
    }

    /** Default 6090; 0 picks a free port. */
    public Builder port(int value) {
      port = value;
      return this;
    }

    /**
     * Default false. True lets several proxy processes bind the same host and port (each must set
     * it); the kernel hashes each new connection to one of them. They share nothing but their
     * configuration: routes come from Temporal and tokens are checked with the shared key.
     */
    public Builder reusePort(boolean value) {
      reusePort = value;
      return this;
    }

    /**
     * Default -1: none; {@code /metrics} and {@code /healthz} are served on {@link #port} only.
     * With {@link #reusePort} a scrape of the shared port reaches whichever process the kernel
     * picks, so give each process its own metrics port and scrape every one.
     */
    public Builder metricsPort(int value) {
      metricsPort = value;
      return this;
    }

    /**
     * Default "/sessions" ({@link VmDescription#PAGE_PREFIX}, where the workflows say a session's
     * page is).
     */
    public Builder pathPrefix(String value) {
      pathPrefix = value;
      return this;
    }

    /** Default none (development mode only: a random per-process key). */
    public Builder tokenKey(byte[] value) {
      tokenKey = value;
      return this;
    }

    /** Default empty: only pages served from the proxy's own origin may connect. */
    public Builder allowedOrigins(List<String> value) {
      allowedOrigins = value;
      return this;
    }

    /** Default 25 s, under the 60 s idle timeout common to load balancers. */
    public Builder pingInterval(Duration value) {
      pingInterval = value;
      return this;
    }

    /** Default 15 min. */
    public Builder idleTimeout(Duration value) {
      idleTimeout = value;
      return this;
    }

    /** Default 4: a tab plus reconnects that overlap the old connection's close. */
    public Builder sessionConnectionLimit(int value) {
      sessionConnectionLimit = value;
      return this;
    }

    /**
     * Default 0: derived from this process's open-file limit, so that the proxy refuses with {@link
     * CloseOutcome#PROXY_FULL} before the kernel refuses a socket ({@link ConnectionCapacity}).
     */
    public Builder maxConnections(int value) {
      maxConnections = value;
      return this;
    }

    /** Default 4 MiB; at least 1 MiB (Jetty's own default is 64 KiB). */
    public Builder maxFrameBytes(int value) {
      maxFrameBytes = value;
      return this;
    }

    /** Default 1 MiB per direction per session. */
    public Builder maxQueuedBytes(long value) {
      maxQueuedBytes = value;
      return this;
    }

    /** Default 20 s. */
    public Builder writeTimeout(Duration value) {
      writeTimeout = value;
      return this;
    }

    /** Default 5 s. */
    public Builder upstreamConnectTimeout(Duration value) {
      upstreamConnectTimeout = value;
      return this;
    }

    /** Default /usr/share/novnc (Debian's novnc package). */
    public Builder noVncDir(Path value) {
      noVncDir = value;
      return this;
    }

    /** Default false; when true a token key is required. */
    public Builder productionMode(boolean value) {
      productionMode = value;
      return this;
    }

    /** Default false. Tests and benchmarks only. */
    public Builder allowLoopbackUpstreams(boolean value) {
      allowLoopbackUpstreams = value;
      return this;
    }

    /** Default {@link ControlPolicy#TAKE_OVER}: the newest control link controls. */
    public Builder controlPolicy(ControlPolicy value) {
      controlPolicy = value;
      return this;
    }

    /** Default 10 s. */
    public Builder activityReportInterval(Duration value) {
      activityReportInterval = value;
      return this;
    }

    /**
     * Default none: the proxy does not know its host and serves every session it is asked for,
     * never redirecting (tests and benchmarks). On a VM host, that host's id: a session whose VM
     * lives on another host gets its page redirected there and its WebSocket closed with {@link
     * CloseOutcome#SESSION_ON_ANOTHER_HOST}.
     */
    public Builder hostId(String value) {
      hostId = value;
      return this;
    }

    public ProxyConfig build() {
      return new ProxyConfig(
          bindHost,
          port,
          reusePort,
          metricsPort,
          pathPrefix,
          tokenKey,
          allowedOrigins,
          pingInterval,
          idleTimeout,
          sessionConnectionLimit,
          maxConnections,
          maxFrameBytes,
          maxQueuedBytes,
          writeTimeout,
          upstreamConnectTimeout,
          noVncDir,
          productionMode,
          allowLoopbackUpstreams,
          controlPolicy,
          activityReportInterval,
          hostId);
    }
  }
}
