package dev.kindling.worker.cli;

import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import java.io.PrintStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/** Follows a VM's phases through {@code describe()} and prints each as it completes. */
final class PhaseWatcher {
  private static final Set<Phase> SETTLED = EnumSet.of(Phase.READY, Phase.FAILED, Phase.RELEASED);

  private PhaseWatcher() {}

  /** Polls until READY, FAILED or RELEASED (or the timeout) and returns the last description. */
  static VmDescription watch(KindlingClient client, String session, Duration timeout, PrintStream out) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int printed = 0;
    Phase lastPhase = null;
    VmDescription d = null;
    while (System.nanoTime() < deadline) {
      d = client.describe(session);
      if (d != null) {
        if (out != null) {
          for (; d.timings() != null && printed < d.timings().size(); printed++) {
            StageTiming t = d.timings().get(printed);
            out.printf("  %-22s %6d ms%n", t.stage(), t.millis());
          }
          if (d.phase() != lastPhase) {
            out.println(session + ": " + d.phase());
            lastPhase = d.phase();
          }
        }
        if (SETTLED.contains(d.phase())) {
          break;
        }
      }
      Thread.sleep(KindlingClient.READY_POLL_INTERVAL.toMillis() * 5);
    }
    if (out != null && d != null) {
      if (d.phase() == Phase.READY) {
        printDescription(d, out);
      } else if (d.failureType() != null) {
        out.println("failed: " + d.failureType() + ": " + d.failureMessage());
      }
    }
    return d;
  }

  static void printDescription(VmDescription d, PrintStream out) {
    out.println("session   " + d.sessionId());
    out.println("phase     " + d.phase());
    out.println("host      " + d.hostId());
    out.println("template  " + (d.template() == null ? "-" : d.template()));
    out.println("image     " + d.imageId());
    if (d.launch() != null) {
      out.println("launch    " + (d.launch().url() == null ? "" : "url " + d.launch().url())
          + (d.launch().args().isEmpty() ? "" : (d.launch().url() == null ? "" : ", ") + "args " + d.launch().args()));
    }
    out.println("vm        " + d.vmId() + " (" + d.bootMode() + ")");
    if (d.endpoint() != null) {
      out.println("endpoint  netns " + d.endpoint().namespace() + " " + d.endpoint().address() + ":" + d.endpoint().port()
          + " on host " + d.endpoint().hostId());
    }
    if (d.leaseExpiresAtEpochMillis() > 0) {
      out.println("lease     until " + java.time.Instant.ofEpochMilli(d.leaseExpiresAtEpochMillis()));
    }
    if (d.failureType() != null) {
      out.println("failure   " + d.failureType() + ": " + d.failureMessage());
    }
    if (d.timings() != null && !d.timings().isEmpty()) {
      out.println("timings");
      out.print(VmCommand.timings(d.timings()));
    }
  }
}
