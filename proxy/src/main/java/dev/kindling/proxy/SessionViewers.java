package dev.kindling.proxy;

import dev.kindling.workflows.vm.Viewers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The open connections of each session and the one whose input reaches the VM. A control link that
 * joins while another controls takes over or is refused, as {@link ControlPolicy} says; every
 * change is reported to the session's owner.
 */
final class SessionViewers {
  private final ControlPolicy policy;
  private final ThrottledActivity activity;
  private final Map<String, List<Relay>> open = new HashMap<>();
  private final Map<String, Relay> controllers = new HashMap<>();

  SessionViewers(ControlPolicy policy, ThrottledActivity activity) {
    this.policy = policy;
    this.activity = activity;
  }

  /**
   * Adds a relay whose handshakes are done; returns the outcome it must end with instead when it
   * may not join (a control link refused while another controls).
   */
  Optional<CloseOutcome> join(Relay relay) {
    String sessionId = relay.sessionId();
    Relay displaced = null;
    Viewers now;
    synchronized (this) {
      if (relay.isEnded()) {
        // Ended during its handshakes (e.g. the proxy is stopping): it never joins.
        return Optional.empty();
      }
      if (relay.scope() == Scope.CONTROL) {
        Relay current = controllers.get(sessionId);
        if (current != null && policy == ControlPolicy.REFUSE) {
          return Optional.of(CloseOutcome.CONTROL_HELD);
        }
        displaced = current;
        controllers.put(sessionId, relay);
      }
      open.computeIfAbsent(sessionId, id -> new ArrayList<>()).add(relay);
      now = viewers(sessionId);
    }
    if (displaced != null
        && (policy == ControlPolicy.TAKE_OVER_AND_CLOSE || !displaced.makeViewOnly())) {
      displaced.end(CloseOutcome.CONTROL_TAKEN, "by connection " + relay.connectionId(), null);
    }
    activity.viewers(sessionId, now);
    return Optional.empty();
  }

  /** Removes an ended relay (a no-op for one that never joined). */
  void leave(Relay relay) {
    String sessionId = relay.sessionId();
    Viewers now;
    boolean last;
    synchronized (this) {
      List<Relay> relays = open.get(sessionId);
      if (relays == null || !relays.remove(relay)) {
        return;
      }
      controllers.remove(sessionId, relay);
      last = relays.isEmpty();
      if (last) {
        open.remove(sessionId);
      }
      now = viewers(sessionId);
    }
    activity.viewers(sessionId, now);
    if (last) {
      activity.forget(sessionId);
    }
  }

  /** The session's current viewers. */
  synchronized Viewers viewers(String sessionId) {
    List<Relay> relays = open.getOrDefault(sessionId, List.of());
    Relay controller = controllers.get(sessionId);
    return new Viewers(
        relays.size(), controller == null ? null : "connection " + controller.connectionId());
  }
}
