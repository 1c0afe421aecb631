package dev.kindling.activities.readiness;

import dev.kindling.host.netns.NetworkNamespaces;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This host's parked hand-overs by VM id. Each is taken once, by the hand-over of its VM. One whose
 * VM's network namespace is gone (the VM was destroyed unclaimed) is closed within {@link
 * #SWEEP_EVERY}: an open socket would keep the namespace alive in the kernel.
 */
final class ParkedHandshakes {
  static final Duration SWEEP_EVERY = Duration.ofSeconds(2);

  private final Map<String, ParkedHandshake> byVm = new ConcurrentHashMap<>();
  private Thread sweeper;

  void park(String vmId, ParkedHandshake parked) {
    ParkedHandshake earlier = byVm.put(vmId, parked);
    if (earlier != null) {
      earlier.close();
    }
    synchronized (this) {
      if (sweeper == null) {
        sweeper = Thread.ofVirtual().name("parked-handshakes-sweeper").start(this::sweepWhileAny);
      }
    }
  }

  /** The VM's parked handshake, now the caller's to answer and close, or null. */
  ParkedHandshake take(String vmId) {
    return byVm.remove(vmId);
  }

  int size() {
    return byVm.size();
  }

  /** Closes those whose namespace is gone. */
  void sweep() {
    byVm.forEach(
        (vmId, parked) -> {
          if (!NetworkNamespaces.exists(parked.namespace()) && byVm.remove(vmId, parked)) {
            parked.close();
          }
        });
  }

  private void sweepWhileAny() {
    while (true) {
      try {
        Thread.sleep(SWEEP_EVERY);
      } catch (InterruptedException e) {
        return;
      }
      try {
        sweep();
      } catch (RuntimeException e) {
        // The next round tries again; the sweeper must outlive a bad round.
      }
      synchronized (this) {
        if (byVm.isEmpty()) {
          sweeper = null;
          return;
        }
      }
    }
  }
}
