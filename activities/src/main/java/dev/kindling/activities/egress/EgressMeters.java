package dev.kindling.activities.egress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/** One VM's egress meters, each tagged with its id, and their removal when it stops. */
final class EgressMeters {
  static final String CONNECTIONS = "kindling.egress.connections";
  static final String REFUSALS = "kindling.egress.refusals";
  static final String BYTES = "kindling.egress.bytes";
  static final String OPEN_CONNECTIONS = "kindling.egress.open.connections";

  private final MeterRegistry registry;
  private final String vmId;
  private final Counter connections;
  private final Counter fromGuest;
  private final Counter toGuest;
  private final List<Meter> registered = new ArrayList<>();
  private final Map<Integer, Counter> refusals = new HashMap<>();
  private boolean removed;

  EgressMeters(MeterRegistry registry, String vmId, IntSupplier openConnections) {
    this.registry = registry;
    this.vmId = vmId;
    connections =
        keep(
            Counter.builder(CONNECTIONS)
                .description("Connections the egress proxy let through.")
                .tag("vm", vmId)
                .register(registry));
    fromGuest = keep(bytes("from_guest"));
    toGuest = keep(bytes("to_guest"));
    keep(
        Gauge.builder(OPEN_CONNECTIONS, openConnections, IntSupplier::getAsInt)
            .description(
                "Connections to the egress proxy open now, those still sending a request included.")
            .tag("vm", vmId)
            .strongReference(true)
            .register(registry));
  }

  void connection() {
    connections.increment();
  }

  void fromGuest(long bytes) {
    fromGuest.increment(bytes);
  }

  void toGuest(long bytes) {
    toGuest.increment(bytes);
  }

  synchronized void refusal(int status) {
    if (removed) {
      return;
    }
    refusals
        .computeIfAbsent(
            status,
            s ->
                keep(
                    Counter.builder(REFUSALS)
                        .description("Requests the egress proxy refused, by HTTP status.")
                        .tag("vm", vmId)
                        .tag("status", Integer.toString(s))
                        .register(registry)))
        .increment();
  }

  synchronized void remove() {
    removed = true;
    registered.forEach(registry::remove);
    registered.clear();
  }

  private Counter bytes(String direction) {
    return Counter.builder(BYTES)
        .description("Bytes relayed through the egress proxy.")
        .baseUnit("bytes")
        .tag("vm", vmId)
        .tag("direction", direction)
        .register(registry);
  }

  private <M extends Meter> M keep(M meter) {
    registered.add(meter);
    return meter;
  }
}
