package dev.kindling.activities.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.StageTiming;
import java.util.List;

/**
 * What one verification boot showed. Timings are wall-clock milliseconds; a stage that did not run
 * is 0 and {@code readinessStages} holds only the stages that passed.
 *
 * @param vmmStartMillis from spawning the VMM to the VMM reporting the guest running
 * @param networkMillis createNetwork
 * @param bootVmMillis bootVm as a whole (overlay, secrets, VMM start)
 * @param readinessStages each readiness stage that passed, in order
 * @param bootToReadyMillis from calling bootVm to a complete RFB handshake (ServerInit)
 * @param teardownMillis destroyVm and deleteNetwork
 * @param failure null when the image verified
 * @param teardownProblems what teardown could not remove; empty when everything is gone
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VerifyResult(
    String imageId,
    String vmId,
    String vmm,
    String accelerator,
    String machine,
    BootMode bootMode,
    long networkMillis,
    long bootVmMillis,
    long vmmStartMillis,
    List<StageTiming> readinessStages,
    long bootToReadyMillis,
    long teardownMillis,
    int framebufferWidth,
    int framebufferHeight,
    String desktopName,
    VerifyFailure failure,
    List<String> teardownProblems) {

  public VerifyResult {
    readinessStages = readinessStages == null ? List.of() : List.copyOf(readinessStages);
    teardownProblems = teardownProblems == null ? List.of() : List.copyOf(teardownProblems);
  }

  public boolean passed() {
    return failure == null;
  }
}
