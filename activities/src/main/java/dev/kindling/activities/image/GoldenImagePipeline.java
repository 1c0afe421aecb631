package dev.kindling.activities.image;

import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.SnapshotMismatchException;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.BuiltImage;
import dev.kindling.snapshot.ImageBuildException;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.SnapshotRequest;
import io.temporal.failure.ApplicationFailure;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Build → canary → snapshot → promote, on one host without Temporal (what {@code kindling image
 * build} runs). The canary is a full verification boot; while it is ready, its memory snapshot is
 * taken; the image (with the snapshot) becomes current only when the canary passed and every
 * requested step succeeded. A failed canary is never promoted.
 */
public final class GoldenImagePipeline {
  private static final Logger log = LoggerFactory.getLogger(GoldenImagePipeline.class);

  private final ImageBuilder builder;
  private final ImageStore store;
  private final ImageVerifier verifier;
  private final VmmActivitiesImpl vmms;

  public GoldenImagePipeline(
      ImageBuilder builder, ImageStore store, ImageVerifier verifier, VmmActivitiesImpl vmms) {
    this.builder = builder;
    this.store = store;
    this.verifier = verifier;
    this.vmms = vmms;
  }

  /**
   * @param snapshot take a memory snapshot of the ready canary and promote it with the image
   * @param promote make the image current when everything passed
   * @throws ImageBuildException when the build fails (nothing is booted or promoted then)
   */
  public PipelineResult run(BuildOptions options, boolean snapshot, boolean promote) {
    BuiltImage image = builder.build(options);
    String imageId = image.ref().imageId();
    log.info(
        "image {} {} in {} ms; booting its canary",
        imageId,
        image.cacheHit() ? "cached" : "built",
        image.duration().toMillis());

    AtomicReference<String> snapshotId = new AtomicReference<>();
    AtomicReference<VerifyFailure> snapshotFailure = new AtomicReference<>();
    AtomicLong snapshotMillis = new AtomicLong();
    ImageVerifier.WhileReady takeSnapshot =
        vm -> {
          long started = System.nanoTime();
          try {
            String id =
                vmms.snapshotVm(new SnapshotRequest(vm.requestId(), vm.vmId(), vm.imageId()));
            // The store is what promotion trusts: check the written snapshot through it now.
            store.checkSnapshot(vm.imageId(), id);
            snapshotId.set(id);
          } catch (ApplicationFailure e) {
            snapshotFailure.set(
                new VerifyFailure(e.getType(), "snapshot", e.getOriginalMessage(), null));
          } catch (SnapshotMismatchException e) {
            snapshotFailure.set(
                new VerifyFailure(e.kind().type(), "snapshot", e.getMessage(), null));
          } finally {
            snapshotMillis.set((System.nanoTime() - started) / 1_000_000);
          }
        };

    VerifyResult canary =
        verifier.verify(imageId, snapshot ? takeSnapshot : ImageVerifier.WhileReady.NONE);
    VerifyFailure failure = canary.failure() != null ? canary.failure() : snapshotFailure.get();
    if (canary.failure() != null) {
      log.warn(
          "canary of image {} failed at {} ({}); not promoting",
          imageId,
          canary.failure().stage(),
          canary.failure().type());
    } else if (failure != null) {
      log.warn("snapshot of image {} failed ({}); not promoting", imageId, failure.message());
    }
    ImageRef promoted = null;
    if (failure == null && promote) {
      promoted =
          store.promote(
              new ImageRef(
                  imageId,
                  snapshotId.get(),
                  image.manifest().kernelVersion(),
                  image.manifest().builtAtEpochSeconds(),
                  null));
    }
    return new PipelineResult(
        imageId,
        image.cacheHit(),
        image.duration().toMillis(),
        canary,
        snapshotId.get(),
        snapshotMillis.get(),
        failure,
        promoted);
  }
}
