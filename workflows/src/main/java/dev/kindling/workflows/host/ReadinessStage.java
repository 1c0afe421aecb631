package dev.kindling.workflows.host;

/** The readiness stages, in order. Each is raced against the VMM exiting. */
public enum ReadinessStage {
  GUEST_REACHABLE("guest-reachable"),
  AGENT_HEALTH("agent-health"),
  SECRETS("secrets"),
  TCP_WEBSOCKIFY("tcp-6080"),
  WEBSOCKET_UPGRADE("websocket-upgrade"),
  RFB_HANDSHAKE("rfb-handshake"),
  /** The app's window is mapped and one full framebuffer through websockify is not blank. */
  DESKTOP("desktop");

  private final String label;

  ReadinessStage(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
