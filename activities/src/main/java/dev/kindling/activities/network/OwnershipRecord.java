package dev.kindling.activities.network;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.activities.temporal.CurrentActivity;
import dev.kindling.host.FileTrees;
import dev.kindling.workflows.FailureKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code <vmDir>/owner.json}: which request created a VM's network. Written before the namespace
 * exists (create-new, so two requests cannot both win), which makes a namespace without a record
 * something Kindling did not finish creating or does not own. {@code workflowId} names the workflow
 * that created it (null when created outside Temporal), and {@code deployment} the Temporal server
 * and namespace that workflow runs in (null when created outside Temporal, or before records named
 * it): a reconciler of another deployment leaves the VM alone.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OwnershipRecord(
    String requestId,
    long createdAtEpochMillis,
    String workflowId,
    String deployment,
    boolean deploymentInMemory) {
  public static final String FILE = "owner.json";
  private static final String POOL_WORKFLOW_PREFIX =
      dev.kindling.workflows.pool.PoolWorkflow.WORKFLOW_ID_PREFIX;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(OwnershipRecord.class);

  public static Optional<OwnershipRecord> read(Path vmDir) {
    Path file = vmDir.resolve(FILE);
    try {
      return Optional.of(JSON.readValue(Files.readAllBytes(file), OwnershipRecord.class));
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * Claims {@code vmDir} for {@code requestId} of {@code deployment}; returns the record now in
   * place, which belongs to another request when someone claimed it first.
   */
  public static OwnershipRecord claim(Path vmDir, String requestId, Deployment deployment) {
    OwnershipRecord mine =
        new OwnershipRecord(
            requestId,
            System.currentTimeMillis(),
            currentWorkflowId(),
            deployment == null ? null : deployment.id(),
            deployment != null && deployment.inMemory());
    Path file = vmDir.resolve(FILE);
    Path draft = vmDir.resolve(FILE + "." + java.util.UUID.randomUUID() + ".draft");
    try {
      Files.createDirectories(vmDir);
      Files.write(draft, JSON.writeValueAsBytes(mine), java.nio.file.StandardOpenOption.CREATE_NEW);
      // A hard link appears whole or not at all and fails if the record exists: a process killed
      // mid-claim leaves a draft (which destroyVm removes), never a partial record.
      Files.createLink(file, draft);
      return mine;
    } catch (FileAlreadyExistsException e) {
      return read(vmDir)
          .orElseThrow(() -> new IllegalStateException(file + " vanished while being claimed"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    } finally {
      try {
        Files.deleteIfExists(draft);
      } catch (IOException e) {
        log.warn("cannot remove {}: {}", draft, e.toString());
      }
    }
  }

  /**
   * The workflow whose activity is claiming, so the cleanup reconciler can ask Temporal whether the
   * owner still runs; null outside an activity.
   */
  static String currentWorkflowId() {
    return CurrentActivity.context().map(context -> context.getInfo().getWorkflowId()).orElse(null);
  }

  /**
   * True when this record names a deployment other than {@code ours} that may still want the VM: a
   * record naming none belongs to every deployment, and so does one whose in-memory server is gone.
   */
  public boolean ownedByAnother(Deployment ours) {
    if (deployment == null || ours == null || deployment.equals(ours.id())) {
      return false;
    }
    return !(deploymentInMemory && Deployment.inMemoryServerGone(deployment));
  }

  /**
   * Names {@code workflowId} as the workflow that owns the network {@code requestId} made (a pool
   * VM handed to a session); the record is replaced whole.
   */
  public static void transfer(Path vmDir, String requestId, String workflowId) {
    OwnershipRecord owner =
        read(vmDir)
            .orElseThrow(
                () ->
                    FailureKind.OWNERSHIP_CONFLICT.failure(
                        vmDir.resolve(FILE) + " is gone: the VM was destroyed"));
    if (!owner.requestId().equals(requestId)) {
      throw FailureKind.OWNERSHIP_CONFLICT.failure(
          "the network of "
              + vmDir.getFileName()
              + " belongs to request "
              + owner.requestId()
              + ", not "
              + requestId);
    }
    if (owner.workflowId() != null
        && !owner.workflowId().startsWith(POOL_WORKFLOW_PREFIX)
        && !owner.workflowId().equals(workflowId)) {
      throw FailureKind.OWNERSHIP_CONFLICT.failure(
          vmDir.getFileName() + " belongs to " + owner.workflowId() + ", not to a pool");
    }
    OwnershipRecord transferred =
        new OwnershipRecord(
            requestId,
            owner.createdAtEpochMillis(),
            workflowId,
            owner.deployment(),
            owner.deploymentInMemory());
    try {
      FileTrees.writeAtomically(
          vmDir.resolve(FILE), JSON.writeValueAsBytes(transferred), "rw-r--r--");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + vmDir.resolve(FILE), e);
    }
  }

  public static void release(Path vmDir) {
    try {
      Files.deleteIfExists(vmDir.resolve(FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
