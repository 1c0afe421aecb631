package dev.kindling.activities.image;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.readiness.ReadinessActivitiesImpl;
import dev.kindling.activities.vmm.LaunchRecord;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.StoredImage;
import dev.kindling.host.images.UnknownImageException;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Failures;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import io.temporal.failure.ApplicationFailure;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves that an image boots to a usable desktop by running exactly what a browser VM runs: {@code
 * createNetwork} → {@code bootVm(COLD)} → {@code awaitReady} (a complete RFB handshake through
 * websockify) in a fresh VM, then {@code destroyVm} → {@code deleteNetwork}. Teardown runs on
 * success, on failure and on interruption; a shutdown hook covers Ctrl-C while a verification runs.
 *
 * <p>Typed failures of the activities become a {@link VerifyFailure} in the result (with the stage
 * and the diagnostics); only invalid input and unknown images are thrown, before the host changes.
 */
public final class ImageVerifier {
  private static final Logger log = LoggerFactory.getLogger(ImageVerifier.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ImageStore store;
  private final NetworkActivitiesImpl network;
  private final VmmActivitiesImpl vmms;
  private final ReadinessActivitiesImpl readiness;
  private final HostPaths paths;
  private final VerifySettings settings;

  /**
   * Called with the ready VM before teardown, e.g. to snapshot it; what it throws is rethrown after
   * teardown.
   */
  @FunctionalInterface
  public interface WhileReady {
    WhileReady NONE = vm -> {};

    void accept(ReadyVm vm);
  }

  public ImageVerifier(
      HostPaths paths,
      ImageStore store,
      NetworkActivitiesImpl network,
      VmmActivitiesImpl vmms,
      ReadinessActivitiesImpl readiness,
      VerifySettings settings) {
    this.paths = paths;
    this.store = store;
    this.network = network;
    this.vmms = vmms;
    this.readiness = readiness;
    this.settings = settings;
  }

  /** A fresh VM id: {@code vm} and 10 random hex digits. */
  public static String newVmId() {
    byte[] bytes = new byte[5];
    RANDOM.nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }

  public VerifyResult verify(String imageId) {
    return verify(imageId, WhileReady.NONE);
  }

  /**
   * Boots {@code imageId} cold in a new VM, waits for readiness, calls {@code whileReady} if it
   * passed, and tears everything down.
   *
   * @throws dev.kindling.workflows.InvalidInputException when the id is not a content hash
   * @throws UnknownImageException when no such image is published
   */
  public VerifyResult verify(String imageId, WhileReady whileReady) {
    Validation.imageId(imageId);
    StoredImage image = store.find(imageId);
    ImageRef cold =
        new ImageRef(
            imageId,
            null,
            image.manifest().kernelVersion(),
            image.manifest().builtAtEpochSeconds(),
            null);
    String vmId = newVmId();
    Run run = new Run(imageId, vmId, "verify-" + UUID.randomUUID());
    Thread hook = new Thread(run::teardown, "kindling-verify-teardown-" + vmId);
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return run.execute(cold, whileReady);
    } finally {
      run.teardown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is exiting and the hook already ran (or runs now); teardown is idempotent.
      }
    }
  }

  /** One verification: its ids, what it has learnt so far, and a teardown that runs once. */
  private final class Run {
    private final String imageId;
    private final String vmId;
    private final String requestId;
    private final NetworkRequest networkRequest;
    private final List<String> teardownProblems = new ArrayList<>();
    private boolean tornDown;
    private long teardownMillis;

    Run(String imageId, String vmId, String requestId) {
      this.imageId = imageId;
      this.vmId = vmId;
      this.requestId = requestId;
      this.networkRequest = new NetworkRequest(requestId, vmId);
    }

    VerifyResult execute(ImageRef image, WhileReady whileReady) {
      log.info("verifying image {} in {} (request {})", imageId, vmId, requestId);
      Builder result = new Builder();
      String stage = "network";
      VmNetwork net = null;
      try {
        long started = System.nanoTime();
        net = network.createNetwork(networkRequest);
        result.networkMillis = millisSince(started);

        stage = "boot";
        long bootStarted = System.nanoTime();
        VmHandle handle =
            vmms.bootVm(
                new BootRequest(
                    requestId,
                    vmId,
                    image,
                    net,
                    BootMode.COLD,
                    settings.memoryMib(),
                    settings.vcpus()));
        result.bootVmMillis = millisSince(bootStarted);
        result.vmm = handle.vmm();
        result.accelerator = handle.accelerator();
        result.vmmStartMillis = handle.vmmStartMillis();
        result.machine =
            LaunchRecord.read(paths.vmDir(vmId)).map(LaunchRecord::machine).orElse(null);

        stage = "readiness";
        VmRef ref = new VmRef(requestId, vmId, net);
        ReadinessReport report =
            readiness.awaitReady(
                new ReadinessRequest(ref, settings.readinessTimeout().toMillis(), null));
        result.bootToReadyMillis = millisSince(bootStarted);
        result.report = report;
        log.info(
            "image {} verified in {}: boot → RFB-ready {} ms, framebuffer {}x{}",
            imageId,
            vmId,
            result.bootToReadyMillis,
            report.framebufferWidth(),
            report.framebufferHeight());
        whileReady.accept(new ReadyVm(imageId, vmId, requestId, handle, report));
      } catch (ApplicationFailure failure) {
        if (!result.readyCallbackStarted()) {
          result.failure = typedFailure(failure, stage, net);
          log.warn(
              "image {} failed verification in {} at {}: {}: {}",
              imageId,
              vmId,
              result.failure.stage(),
              result.failure.type(),
              result.failure.message());
        } else {
          throw failure;
        }
      }
      teardown();
      return result.build(this);
    }

    private VerifyFailure typedFailure(ApplicationFailure failure, String stage, VmNetwork net) {
      Diagnostics diagnostics = Failures.diagnostics(failure).orElse(null);
      if (diagnostics == null && !"network".equals(stage)) {
        // A boot that failed left a serial log and a namespace worth describing before teardown.
        try {
          diagnostics = readiness.collectDiagnostics(new VmRef(requestId, vmId, net));
        } catch (RuntimeException e) {
          log.debug("no diagnostics for {}: {}", vmId, e.getMessage());
        }
      }
      String failedStage =
          diagnostics != null && diagnostics.stage() != null && "readiness".equals(stage)
              ? diagnostics.stage()
              : stage;
      String type =
          failure.getType() == null ? FailureKind.COMMAND_FAILED.type() : failure.getType();
      return new VerifyFailure(type, failedStage, failure.getOriginalMessage(), diagnostics);
    }

    /** destroyVm, then deleteNetwork; both run even when the other fails. Runs once. */
    synchronized void teardown() {
      if (tornDown) {
        return;
      }
      tornDown = true;
      // Teardown must finish even when the verification was interrupted.
      boolean interrupted = Thread.interrupted();
      long started = System.nanoTime();
      try {
        vmms.destroyVm(new VmRef(requestId, vmId, null));
      } catch (RuntimeException e) {
        teardownProblems.add("destroyVm: " + e.getMessage());
        log.error("destroying {} failed: {}", vmId, e.getMessage());
      }
      try {
        network.deleteNetwork(networkRequest);
      } catch (RuntimeException e) {
        teardownProblems.add("deleteNetwork: " + e.getMessage());
        log.error("deleting the network of {} failed: {}", vmId, e.getMessage());
      }
      teardownMillis = millisSince(started);
      log.info(
          "{} torn down in {} ms{}",
          vmId,
          teardownMillis,
          teardownProblems.isEmpty() ? "" : " with problems: " + teardownProblems);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Collects the parts of a {@link VerifyResult} as the verification proceeds. */
  private static final class Builder {
    long networkMillis;
    long bootVmMillis;
    long vmmStartMillis;
    long bootToReadyMillis;
    String vmm;
    String accelerator;
    String machine;
    ReadinessReport report;
    VerifyFailure failure;

    boolean readyCallbackStarted() {
      return report != null;
    }

    VerifyResult build(Run run) {
      synchronized (run) {
        return new VerifyResult(
            run.imageId,
            run.vmId,
            vmm,
            accelerator,
            machine,
            BootMode.COLD,
            networkMillis,
            bootVmMillis,
            vmmStartMillis,
            report == null ? List.of() : report.stages(),
            bootToReadyMillis,
            run.teardownMillis,
            report == null ? 0 : report.framebufferWidth(),
            report == null ? 0 : report.framebufferHeight(),
            report == null ? null : report.desktopName(),
            failure,
            run.teardownProblems);
      }
    }
  }

  private static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }
}
