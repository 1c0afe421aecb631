package dev.kindling.activities.network;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.activities.egress.EgressProxy;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.host.GuestNetwork;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The egress of this host's VMs: for each VM that serves a session with a non-empty allow-list, the
 * host's {@link EgressProxy} listens inside the VM's namespace on the tap's host address. What a VM
 * is served is written to {@code <vmDir>/egress.json} first, so a restarted worker serves its
 * running VMs again ({@link #resume}), and the VM's directory goes only after its egress ended.
 */
public final class VmEgress implements AutoCloseable {
  public static final String FILE = "egress.json";
  private static final Logger log = LoggerFactory.getLogger(VmEgress.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BACKLOG = 64;

  private final HostPaths paths;
  private final EgressProxy proxy;

  /** What {@code egress.json} holds. */
  record Served(String sessionId, List<String> rules) {}

  public VmEgress(HostPaths paths, EgressProxy proxy) {
    this.paths = paths;
    this.proxy = proxy;
  }

  /**
   * Serves {@code policy} to the VM {@code vmId} of {@code sessionId}; nothing when the policy
   * allows nothing. Idempotent: a VM already served keeps its listener.
   */
  public synchronized void open(String vmId, String sessionId, EgressPolicy policy)
      throws IOException {
    Validation.vmId(vmId);
    if (policy.rules().isEmpty() || proxy.vms().contains(vmId)) {
      return;
    }
    Path file = paths.vmDir(vmId).resolve(FILE);
    FileTrees.writeAtomically(
        file, JSON.writeValueAsBytes(new Served(sessionId, EgressReport.of(policy).rules())));
    serve(vmId, sessionId, policy);
  }

  private void serve(String vmId, String sessionId, EgressPolicy policy) throws IOException {
    InetSocketAddress address =
        new InetSocketAddress(
            InetAddress.ofLiteral(GuestNetwork.HOST_ADDRESS), GuestNetwork.EGRESS_PROXY_PORT);
    ServerSocket listener =
        NetworkNamespaces.inside(
            GuestNetwork.namespaceFor(vmId),
            () -> {
              ServerSocket socket = new ServerSocket();
              try {
                socket.setReuseAddress(true);
                socket.bind(address, BACKLOG);
                return socket;
              } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
              }
            });
    proxy.start(vmId, sessionId, policy, listener);
    log.info(
        "Egress of session {} (VM {}) served at {}: {}",
        sessionId,
        vmId,
        address,
        EgressReport.of(policy).rules());
  }

  /**
   * Ends the VM's egress for good: its file goes first, so a {@link #resume} cannot serve it again,
   * then its listener closes and its connections are cut. True when it was served; idempotent.
   */
  public synchronized boolean end(String vmId) throws IOException {
    Validation.vmId(vmId);
    Files.deleteIfExists(paths.vmDir(vmId).resolve(FILE));
    return proxy.stop(vmId);
  }

  /**
   * Serves again the VMs whose egress was served by an earlier worker process on this host and
   * whose namespace still exists; returns how many.
   */
  public synchronized int resume() throws IOException {
    int resumed = 0;
    if (!Files.isDirectory(paths.vmsDir())) {
      return 0;
    }
    try (Stream<Path> dirs = Files.list(paths.vmsDir())) {
      for (Path dir : dirs.toList()) {
        String vmId = dir.getFileName().toString();
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)
            || proxy.vms().contains(vmId)
            || !NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId))) {
          continue;
        }
        try {
          Served served = JSON.readValue(file.toFile(), Served.class);
          serve(vmId, served.sessionId(), EgressPolicy.parse(served.rules()));
          resumed++;
        } catch (IOException | RuntimeException e) {
          log.warn("Cannot serve the egress of {} again from {}: {}", vmId, file, e.toString());
        }
      }
    }
    return resumed;
  }

  /** The current report of every served VM, by session. */
  public Map<String, EgressReport> reportsBySession() {
    return proxy.reportsBySession();
  }

  public EgressProxy proxy() {
    return proxy;
  }

  @Override
  public void close() {
    proxy.close();
  }
}
