package dev.kindling.activities.egress;

import dev.kindling.host.egress.AddressDenyList;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressReport;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A host's filtering forward proxy for its VMs' outgoing HTTP: {@code CONNECT host:port} tunnels
 * and absolute {@code http://} requests, each let through only when the VM's session policy names
 * the host and port and the addresses it resolves to are not on the deny-list. Every VM has its own
 * listener, which the caller makes wherever the guest can reach it (inside the VM's namespace);
 * outgoing connections are made from the threads here, in the host's namespace. Everything else is
 * refused with a short explanation the guest can read.
 */
public final class EgressProxy implements AutoCloseable {
  private final EgressLimits limits;
  private final MeterRegistry registry;
  private final UpstreamConnector connector;
  private final Map<String, ServedVm> served = new HashMap<>();
  private boolean closed;

  public EgressProxy(
      AddressDenyList denyList,
      NameResolver resolver,
      EgressLimits limits,
      MeterRegistry registry) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.connector =
        new UpstreamConnector(
            Objects.requireNonNull(denyList, "denyList"),
            Objects.requireNonNull(resolver, "resolver"),
            limits.connectTimeout());
  }

  /**
   * Starts serving one VM on {@code listener}, which this proxy then owns (and closes, also when
   * this throws); its accept loop runs on a virtual thread.
   *
   * @throws IllegalStateException when {@code vmId} is served already or the proxy is closed
   */
  public void start(String vmId, String sessionId, EgressPolicy policy, ServerSocket listener) {
    Objects.requireNonNull(listener, "listener");
    ServedVm vm;
    try {
      Objects.requireNonNull(vmId, "vmId");
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(policy, "policy");
      synchronized (this) {
        if (closed) {
          throw new IllegalStateException("the egress proxy is closed");
        }
        if (served.containsKey(vmId)) {
          throw new IllegalStateException("egress for vm " + vmId + " is served already");
        }
        vm = new ServedVm(vmId, sessionId, policy, listener, limits, connector, registry);
        served.put(vmId, vm);
      }
    } catch (RuntimeException e) {
      Sockets.closeQuietly(listener);
      throw e;
    }
    vm.start();
  }

  /**
   * Closes the VM's listener, cuts its open connections and removes its meters. True when it was
   * served; stopping it again is harmless.
   */
  public boolean stop(String vmId) {
    ServedVm vm;
    synchronized (this) {
      vm = served.remove(vmId);
    }
    if (vm == null) {
      return false;
    }
    vm.stop();
    return true;
  }

  /** What the VM's guest did through the proxy so far; empty when it is not served. */
  public Optional<EgressReport> report(String vmId) {
    ServedVm vm;
    synchronized (this) {
      vm = served.get(vmId);
    }
    return Optional.ofNullable(vm).map(ServedVm::report);
  }

  /** The report of every VM served now, by the session it serves. */
  public Map<String, EgressReport> reportsBySession() {
    List<ServedVm> vms;
    synchronized (this) {
      vms = List.copyOf(served.values());
    }
    Map<String, EgressReport> reports = new HashMap<>();
    vms.forEach(vm -> reports.put(vm.sessionId(), vm.report()));
    return reports;
  }

  /** The VMs served now. */
  public synchronized Set<String> vms() {
    return Set.copyOf(served.keySet());
  }

  /** Stops every VM; the proxy serves none afterwards. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    vms().forEach(this::stop);
  }
}
