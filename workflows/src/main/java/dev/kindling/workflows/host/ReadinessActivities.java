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

  /**
   * While the VM is READY: returns at once (not exited) when its template restarts its app, else
   * waits, heartbeating, until the app has exited for good and says how. Cancelled when the lease
   * ends otherwise.
   */
  AppExit awaitAppExit(VmRef vm);

  /** Collects evidence about a VM for {@code describe} or a failure report. */
  Diagnostics collectDiagnostics(VmRef vm);
}
