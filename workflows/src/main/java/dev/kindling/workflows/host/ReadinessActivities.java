package dev.kindling.workflows.host;

import io.temporal.activity.ActivityInterface;

/** Staged readiness and evidence collection, on the VM's host. */
@ActivityInterface
public interface ReadinessActivities {
  /**
   * Runs every {@link ReadinessStage} in order, heartbeating the current stage. Fails with the
   * stage's typed failure (GuestUnreachable, WebsockifyRefused, NoRfbBanner, HandshakeFailed,
   * VmmExited, ReadinessTimeout) carrying a {@link Diagnostics}.
   */
  ReadinessReport awaitReady(ReadinessRequest request);

  /** Collects evidence about a VM for {@code describe} or a failure report. */
  Diagnostics collectDiagnostics(VmRef vm);
}
