package dev.kindling.worker.cli;

import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmFailedException;
import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Starts a session's VM and waits for READY in one call (update-with-start: the workflow answers
 * when the VM is ready or will not be), then prints its phase and stage timings.
 */
final class ReadyWait {
  private ReadyWait() {}

  /**
   * Returns the description the VM settled with, or its last one when {@code timeout} passed first.
   */
  static VmDescription create(
      KindlingClient client, VmRequest request, Duration timeout, PrintStream out) {
    if (out != null) {
      out.println(
          request.sessionId() + ": waiting for READY (at most " + timeout.toSeconds() + " s)");
    }
    VmDescription d;
    try {
      d = client.createVm(request, timeout);
    } catch (VmFailedException e) {
      d = e.description();
    } catch (TimeoutException e) {
      d = client.describe(request.sessionId());
    }
    if (out != null && d != null) {
      if (d.timings() != null) {
        for (StageTiming t : d.timings()) {
          out.printf("  %-22s %6d ms%n", t.stage(), t.millis());
        }
      }
      out.println(request.sessionId() + ": " + d.phase());
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
      out.println(
          "launch    "
              + (d.launch().url() == null ? "" : "url " + d.launch().url())
              + (d.launch().args().isEmpty()
                  ? ""
                  : (d.launch().url() == null ? "" : ", ") + "args " + d.launch().args()));
    }
    out.println("vm        " + d.vmId() + " (" + d.bootMode() + ")");
    if (d.endpoint() != null) {
      out.println(
          "endpoint  netns "
              + d.endpoint().namespace()
              + " "
              + d.endpoint().address()
              + ":"
              + d.endpoint().port()
              + " on host "
              + d.endpoint().hostId());
    }
    if (d.leaseExpiresAtEpochMillis() > 0) {
      out.println(
          "lease     until " + java.time.Instant.ofEpochMilli(d.leaseExpiresAtEpochMillis()));
    }
    if (d.egress() != null) {
      EgressReport egress = d.egress();
      out.println(
          "egress    "
              + (egress.rules().isEmpty() ? "none" : String.join(", ", egress.rules()))
              + "; "
              + egress.connections()
              + " connections ("
              + egress.openConnections()
              + " open), "
              + egress.bytesFromGuest()
              + " bytes out, "
              + egress.bytesToGuest()
              + " in, "
              + egress.refusals()
              + " refused");
      for (EgressRefusal refusal : egress.lastRefusals()) {
        out.println(
            "  refused "
                + java.time.Instant.ofEpochMilli(refusal.atMillis())
                + " "
                + refusal.status()
                + " "
                + refusal.reason());
      }
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
