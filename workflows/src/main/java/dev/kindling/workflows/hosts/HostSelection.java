package dev.kindling.workflows.hosts;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementRequest;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses a session's host from the hosts' records: among live, undrained hosts that have the image
 * and a free VM slot, one with a ready pool VM of the template first, then the one with the most
 * free slots; equal hosts are ordered by a hash of the session and host ids, so one session always
 * prefers the same host and many sessions spread.
 */
public final class HostSelection {
  private HostSelection() {}

  /** A host that was not chosen, and why. */
  public record Skipped(String hostId, String reason) {
    @Override
    public String toString() {
      return hostId + ": " + reason;
    }
  }

  private record Candidate(HostRecord record, ImageRef image, int free, boolean poolReady) {}

  /**
   * @param defaultTemplate the template of a request that names neither a template nor an image
   * @param pending sessions placed on each host since its last report could count them
   * @throws ApplicationFailure {@code UnknownImage} when no host has the image at all, {@code
   *     NoCapacity} (details: the {@link Skipped} hosts) when the hosts that have it cannot take
   *     the session
   */
  public static Placement choose(
      PlacementRequest request,
      String defaultTemplate,
      List<HostRecord> records,
      Map<String, Integer> pending,
      long nowMillis) {
    String template =
        request.template() != null
            ? request.template()
            : request.imageId() == null ? defaultTemplate : null;
    List<Candidate> candidates = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    boolean anyHasImage = false;
    for (HostRecord record :
        records.stream().sorted(Comparator.comparing(HostRecord::hostId)).toList()) {
      HostReport report = record.report();
      Optional<ImageRef> image =
          report == null ? Optional.empty() : image(report, request.imageId(), template);
      anyHasImage |= image.isPresent();
      String hostId = record.hostId();
      int free = report == null ? 0 : report.freeSlots() - pending.getOrDefault(hostId, 0);
      String reason;
      if (report == null) {
        reason = "has not reported yet";
      } else if (request.avoid().contains(hostId)) {
        reason = "did not pick up this session's first step in time";
      } else if (record.drained()) {
        reason = "drained (" + record.drainReason() + ")";
      } else if (!record.liveAt(nowMillis, HostWorkflow.STALE_AFTER)) {
        reason =
            "stale: last report "
                + Math.max(0, (nowMillis - record.reportedAtMillis()) / 1000)
                + " s ago";
      } else if (image.isEmpty()) {
        reason =
            request.imageId() == null
                ? "no current image of template " + template
                : "no image "
                    + request.imageId()
                    + (template == null ? "" : " of template " + template);
      } else if (free <= 0) {
        reason =
            "full: "
                + (report.capacity().vmSlots() - Math.max(free, 0))
                + " of "
                + report.capacity().vmSlots()
                + " VM slots taken";
      } else {
        candidates.add(
            new Candidate(
                record,
                image.get(),
                free,
                image.get().template() != null
                    && report.poolReady().getOrDefault(image.get().template(), 0) > 0
                    && image.get().equals(report.images().get(image.get().template()))));
        continue;
      }
      skipped.add(new Skipped(hostId, reason));
    }
    if (candidates.isEmpty()) {
      throw failure(request, template, anyHasImage, skipped);
    }
    Candidate chosen =
        candidates.stream()
            .min(
                Comparator.comparing((Candidate c) -> !c.poolReady())
                    .thenComparing(Candidate::free, Comparator.reverseOrder())
                    .thenComparingLong(c -> tieBreak(request.sessionId(), c.record().hostId())))
            .orElseThrow();
    String hostId = chosen.record().hostId();
    return new Placement(
        hostId, TaskQueues.forHost(hostId), chosen.image(), chosen.record().report().proxyUrl());
  }

  private static Optional<ImageRef> image(HostReport report, String imageId, String template) {
    if (imageId == null) {
      return Optional.ofNullable(report.images().get(template));
    }
    // An image named by id must still be of the template the session asked for.
    return report.image(imageId).filter(i -> template == null || template.equals(i.template()));
  }

  private static ApplicationFailure failure(
      PlacementRequest request, String template, boolean anyHasImage, List<Skipped> skipped) {
    String hosts =
        skipped.isEmpty()
            ? "no host has registered"
            : String.join("; ", skipped.stream().map(Skipped::toString).toList());
    if (!anyHasImage) {
      String what =
          request.imageId() == null
              ? "a current image of template "
                  + template
                  + " (build and promote one: kindling image build --template "
                  + template
                  + ")"
              : "image " + request.imageId() + (template == null ? "" : " of template " + template);
      return FailureKind.UNKNOWN_IMAGE.failure("no host has " + what + " [" + hosts + "]", skipped);
    }
    return FailureKind.NO_CAPACITY.failure(
        "no host can take session " + request.sessionId() + " [" + hosts + "]", skipped);
  }

  /**
   * A per-session order of hosts (rendezvous hashing): stable for one session, spread over many.
   */
  private static long tieBreak(String sessionId, String hostId) {
    long h = 1125899906842597L;
    for (char c : (sessionId + '\n' + hostId).toCharArray()) {
      h = 31 * h + c;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
