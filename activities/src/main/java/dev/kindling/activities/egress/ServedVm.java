package dev.kindling.activities.egress;

import dev.kindling.host.Printable;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.egress.HostNames;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM's side of the proxy: its listener and accept loop, its open connections (each on its own
 * virtual thread), its limits and its counts. Only {@link #stop()} ends the accept loop, by closing
 * the listener.
 */
final class ServedVm {
  private static final Logger LOG = LoggerFactory.getLogger(EgressProxy.class);
  private static final Duration ACCEPT_RETRY = Duration.ofMillis(100);

  /**
   * A closed listener lets go of its port only once its accept returns, so stop() waits for that,
   * briefly.
   */
  private static final Duration ACCEPT_END = Duration.ofSeconds(5);

  private final String vmId;
  private final String sessionId;
  private final EgressPolicy policy;
  private final ServerSocket listener;
  private final EgressLimits limits;
  private final UpstreamConnector connector;
  private final EgressCounts counts;
  private final Set<GuestConnection> open = ConcurrentHashMap.newKeySet();
  private final Set<GuestConnection> turnedAway = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean bytesUsedUpTold = new AtomicBoolean();
  private boolean stopped;
  private Thread acceptThread;

  ServedVm(
      String vmId,
      String sessionId,
      EgressPolicy policy,
      ServerSocket listener,
      EgressLimits limits,
      UpstreamConnector connector,
      MeterRegistry registry) {
    this.vmId = vmId;
    this.sessionId = sessionId;
    this.policy = policy;
    this.listener = listener;
    this.limits = limits;
    this.connector = connector;
    this.counts = new EgressCounts(new EgressMeters(registry, vmId, open::size));
  }

  void start() {
    Thread thread = Thread.ofVirtual().name("egress-accept-" + vmId).unstarted(this::acceptLoop);
    synchronized (this) {
      acceptThread = thread;
    }
    thread.start();
  }

  /** Closes the listener and cuts every connection; their threads end as their sockets close. */
  void stop() {
    Thread thread;
    synchronized (this) {
      stopped = true;
      thread = acceptThread;
    }
    try {
      listener.close();
    } catch (IOException e) {
      LOG.debug("egress: closing the listener of vm {} failed", vmId, e);
    }
    open.forEach(GuestConnection::cut);
    turnedAway.forEach(GuestConnection::cut);
    counts.removeMeters();
    if (thread != null) {
      try {
        if (!thread.join(ACCEPT_END)) {
          LOG.warn("egress: the accept loop of vm {} did not end in {}", vmId, ACCEPT_END);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  EgressReport report() {
    return counts.report(EgressReport.of(policy).rules(), open.size());
  }

  String vmId() {
    return vmId;
  }

  String sessionId() {
    return sessionId;
  }

  EgressPolicy policy() {
    return policy;
  }

  EgressLimits limits() {
    return limits;
  }

  UpstreamConnector connector() {
    return connector;
  }

  boolean bytesUsedUp() {
    return limits.maxBytesPerVm() > 0 && counts.bothWays() >= limits.maxBytesPerVm();
  }

  void allowed(Destination destination) {
    counts.connection();
    LOG.debug(
        "egress: session {} vm {} connects to {}:{}",
        sessionId,
        vmId,
        Printable.of(destination.host(), HostNames.MAX_LENGTH),
        destination.port());
  }

  void refused(Refused refused) {
    counts.refusal(
        new EgressRefusal(
            System.currentTimeMillis(),
            refused.host(),
            refused.port(),
            refused.status(),
            refused.reason()));
    LOG.info(
        "egress refused for session {} vm {}: {} {}",
        sessionId,
        vmId,
        refused.status(),
        refused.reason());
  }

  void fromGuest(long bytes) {
    afterBytes(counts.fromGuest(bytes));
  }

  void toGuest(long bytes) {
    afterBytes(counts.toGuest(bytes));
  }

  void ended(GuestConnection connection) {
    open.remove(connection);
    turnedAway.remove(connection);
  }

  private void afterBytes(long bothWays) {
    if (limits.maxBytesPerVm() > 0 && bothWays >= limits.maxBytesPerVm()) {
      if (bytesUsedUpTold.compareAndSet(false, true)) {
        LOG.info(
            "egress: session {} vm {} used up its {} bytes; its connections are cut",
            sessionId,
            vmId,
            limits.maxBytesPerVm());
      }
      open.forEach(GuestConnection::cut);
    }
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        admit(listener.accept());
      } catch (IOException | RuntimeException e) {
        if (listener.isClosed()) {
          return;
        }
        LOG.warn("egress: accepting a connection for vm {} failed", vmId, e);
        try {
          Thread.sleep(ACCEPT_RETRY);
        } catch (InterruptedException interrupted) {
          // Only stop() ends this loop, by closing the listener.
        }
      }
    }
  }

  /**
   * Serves a new connection on its own thread. Over the limit it is still answered (429, after
   * reading its request briefly); beyond twice the limit it is answered at once and closed, so a
   * flood costs no threads.
   */
  private void admit(Socket socket) {
    GuestConnection connection;
    boolean flood;
    synchronized (this) {
      if (stopped) {
        Sockets.closeQuietly(socket);
        return;
      }
      boolean full = open.size() >= limits.maxConnectionsPerVm();
      flood = full && turnedAway.size() >= limits.maxConnectionsPerVm();
      connection = new GuestConnection(this, socket, full);
      if (!flood) {
        (full ? turnedAway : open).add(connection);
      }
    }
    if (flood) {
      connection.refuseAtOnce();
      return;
    }
    try {
      Thread.ofVirtual().name("egress-" + vmId).start(connection);
    } catch (RuntimeException e) {
      ended(connection);
      Sockets.closeQuietly(socket);
      throw e;
    }
  }
}
