package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kindling.workflows.InvalidInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EgressLimitsTest {
  private static final Duration S = Duration.ofSeconds(1);

  @Test
  void defaults() {
    assertEquals(
        new EgressLimits(
            64, Duration.ofMinutes(5), Duration.ofSeconds(10), Duration.ofSeconds(10), 16384, 0),
        EgressLimits.defaults());
  }

  @Test
  void refusesLimitsThatAreNotPositive() {
    assertField("egress.maxConnectionsPerVm", () -> new EgressLimits(0, S, S, S, 1, 0));
    assertField("egress.idleTimeout", () -> new EgressLimits(1, Duration.ZERO, S, S, 1, 0));
    assertField("egress.headTimeout", () -> new EgressLimits(1, S, S.negated(), S, 1, 0));
    assertField("egress.connectTimeout", () -> new EgressLimits(1, S, S, null, 1, 0));
    assertField("egress.maxHeadBytes", () -> new EgressLimits(1, S, S, S, -5, 0));
    assertField("egress.maxBytesPerVm", () -> new EgressLimits(1, S, S, S, 1, -1));
  }

  private static void assertField(String field, Runnable make) {
    assertEquals(field, assertThrows(InvalidInputException.class, make::run).field());
  }
}
