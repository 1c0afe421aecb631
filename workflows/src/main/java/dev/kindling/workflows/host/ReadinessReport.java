package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** What the staged readiness check proved: every stage passed, and what the VNC server said. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReadinessReport(
    List<StageTiming> stages, long totalMillis, int framebufferWidth, int framebufferHeight, String desktopName) {}
