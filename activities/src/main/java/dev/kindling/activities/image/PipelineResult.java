package dev.kindling.activities.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.ImageRef;

/**
 * What {@link GoldenImagePipeline#run} did.
 *
 * @param cacheHit true when the image was already built
 * @param buildMillis the build (or cache lookup)
 * @param canary the verification boot of the image
 * @param snapshotId the memory snapshot of the ready canary; null when none was asked for or it
 *     failed
 * @param snapshotMillis pausing the canary and writing its snapshot
 * @param failure why the pipeline stopped short: the canary's failure, or a snapshot failure; null
 *     on success
 * @param promoted the reference written to {@code current.json}; null when nothing was promoted
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PipelineResult(
    String imageId,
    boolean cacheHit,
    long buildMillis,
    VerifyResult canary,
    String snapshotId,
    long snapshotMillis,
    VerifyFailure failure,
    ImageRef promoted) {

  public boolean passed() {
    return failure == null;
  }
}
