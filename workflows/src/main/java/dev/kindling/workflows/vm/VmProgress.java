package dev.kindling.workflows.vm;

import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.StageTiming;
import java.util.ArrayList;
import java.util.List;

/** What {@code describe()} reports, kept up to date by the workflow as phases change. */
final class VmProgress {
  private final String sessionId;
  private final List<StageTiming> timings = new ArrayList<>();
  private Phase phase = Phase.PLACING;
  private long phaseStartedAt;
  private String hostId;
  private String proxyUrl;
  private String imageId;
  private String template;
  private Launch launch;
  private String vmId;
  private String bootMode;
  private Endpoint endpoint;
  private long leaseExpiresAt;
  private String failureType;
  private String failureMessage;
  private Viewers viewers = Viewers.NONE;
  private EgressReport egress;

  VmProgress(String sessionId, long now) {
    this.sessionId = sessionId;
    this.phaseStartedAt = now;
  }

  String sessionId() {
    return sessionId;
  }

  String hostId() {
    return hostId;
  }

  Phase phase() {
    return phase;
  }

  /** Ends the current phase (recording how long it took) and enters {@code next}. */
  void enter(Phase next, long now) {
    if (phase != Phase.READY) {
      timings.add(new StageTiming(label(phase), now - phaseStartedAt));
    }
    phase = next;
    phaseStartedAt = now;
  }

  /** Moves to a terminal phase without timing the one that ended (it did not complete). */
  void end(Phase terminal, long now) {
    phase = terminal;
    phaseStartedAt = now;
  }

  void addTiming(String stage, long millis) {
    timings.add(new StageTiming(stage, millis));
  }

  void vmId(String value) {
    vmId = value;
  }

  String vmId() {
    return vmId;
  }

  void placed(String host, String image, String templateId, String hostProxyUrl) {
    hostId = host;
    proxyUrl = hostProxyUrl;
    imageId = image;
    template = templateId;
  }

  void launch(Launch value) {
    launch = value;
  }

  void bootMode(String value) {
    bootMode = value;
  }

  void endpoint(Endpoint value) {
    endpoint = value;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  void leaseExpiresAt(long epochMillis) {
    leaseExpiresAt = epochMillis;
  }

  void viewers(Viewers value) {
    viewers = value == null ? Viewers.NONE : value;
  }

  void egress(EgressReport value) {
    egress = value;
  }

  void failed(String type, String message) {
    failureType = type;
    failureMessage = message;
  }

  VmDescription describe() {
    return new VmDescription(
        sessionId,
        phase,
        hostId,
        imageId,
        template,
        launch,
        vmId,
        bootMode,
        endpoint,
        List.copyOf(timings),
        leaseExpiresAt,
        failureType,
        failureMessage,
        viewers,
        egress,
        VmDescription.pageUrl(proxyUrl, sessionId));
  }

  /**
   * Markdown for the Temporal web UI's "current details": what the VM is doing now and what it
   * took.
   */
  String details() {
    StringBuilder md = new StringBuilder("**").append(phase).append("**");
    if (hostId != null) {
      md.append(" on host `").append(hostId).append('`');
    }
    if (template != null) {
      md.append(", template `").append(template).append('`');
    }
    if (vmId != null) {
      md.append(", VM `")
          .append(vmId)
          .append('`')
          .append(bootMode == null ? "" : " (" + bootMode + ")");
    }
    md.append('\n');
    if (imageId != null) {
      md.append("\nimage `").append(imageId).append("`\n");
    }
    if (endpoint != null) {
      md.append("\nwebsockify ")
          .append(endpoint.address())
          .append(':')
          .append(endpoint.port())
          .append(" in namespace `")
          .append(endpoint.namespace())
          .append("`\n");
    }
    if (leaseExpiresAt > 0 && (phase == Phase.READY)) {
      md.append("\nlease until ")
          .append(java.time.Instant.ofEpochMilli(leaseExpiresAt))
          .append('\n');
    }
    if (phase == Phase.READY) {
      md.append("\nviewers: ").append(viewers.count());
      if (viewers.controller() != null) {
        md.append(", controlled by ").append(viewers.controller());
      } else if (viewers.count() > 0) {
        md.append(", view only");
      }
      md.append('\n');
    }
    if (egress != null) {
      md.append("\negress: ")
          .append(egress.rules().isEmpty() ? "none" : String.join(", ", egress.rules()))
          .append("; ")
          .append(egress.connections())
          .append(" connections, ")
          .append(egress.refusals())
          .append(" refused\n");
      if (!egress.lastRefusals().isEmpty()) {
        EgressRefusal last = egress.lastRefusals().getLast();
        md.append("\nlast refused: ")
            .append(last.status())
            .append(' ')
            .append(last.reason())
            .append('\n');
      }
    }
    if (failureType != null) {
      md.append("\n**").append(failureType).append("**: ").append(failureMessage).append('\n');
    }
    if (!timings.isEmpty()) {
      md.append("\n| step | ms |\n|---|---:|\n");
      for (StageTiming timing : timings) {
        md.append("| ").append(timing.stage()).append(" | ").append(timing.millis()).append(" |\n");
      }
    }
    return md.toString();
  }

  private static String label(Phase phase) {
    return phase.name().toLowerCase(java.util.Locale.ROOT);
  }
}
