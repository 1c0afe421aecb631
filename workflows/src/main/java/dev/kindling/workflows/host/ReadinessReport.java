package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * What the staged readiness check proved: every stage passed, and what the VNC server said.
 *
 * @param appOnExit the app's template policy as the guest reported it: {@code restart}, or {@code
 *     release} (the session ends with the app, so the workflow watches it); null when unknown
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReadinessReport(
    List<StageTiming> stages,
    long totalMillis,
    int framebufferWidth,
    int framebufferHeight,
    String desktopName,
    String appOnExit) {

  public boolean releasesOnAppExit() {
    return "release".equals(appOnExit);
  }

  /** This report, with {@code value} as the app's policy when the check did not learn it. */
  public ReadinessReport withAppOnExitIfUnknown(String value) {
    return appOnExit != null
        ? this
        : new ReadinessReport(
            stages, totalMillis, framebufferWidth, framebufferHeight, desktopName, value);
  }
}
