package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Evidence attached to a failure: enough to name the cause without logging into the host.
 *
 * @param stage the stage that failed (a {@link ReadinessStage} label or a workflow phase)
 * @param agentUnits unit states as the guest agent reported them, or null when it did not answer
 * @param vmmExitCode the VMM's exit status when it had exited, else null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Diagnostics(
    String vmId,
    String stage,
    String detail,
    String serialTail,
    String links,
    String addresses,
    String routes,
    String neighbours,
    String agentUnits,
    Integer vmmExitCode) {}
