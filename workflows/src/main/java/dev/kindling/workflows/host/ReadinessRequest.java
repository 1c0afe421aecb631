package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Waits until {@code vm} serves a complete RFB handshake through websockify and shows its app, or
 * fails typed. {@code launch} (null for none) reaches the app with the VM's secrets.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReadinessRequest(VmRef vm, long timeoutMillis, Launch launch) {}
