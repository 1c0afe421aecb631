package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Waits until {@code vm} serves a complete RFB handshake through websockify and shows its app, or
 * fails typed. {@code launch} (null for none) reaches the app with the VM's secrets. With {@code
 * parkForHandOver} (a pool VM's readiness), a ready VM is left with one more connection waiting at
 * VNC authentication's challenge, which the VM's hand-over answers with the session's password.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReadinessRequest(
    VmRef vm, long timeoutMillis, Launch launch, boolean parkForHandOver) {
  public ReadinessRequest(VmRef vm, long timeoutMillis, Launch launch) {
    this(vm, timeoutMillis, launch, false);
  }
}
