package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The spare's bookkeeping; what it is for is {@link DescriptorExhaustionTest}'s subject. */
class SpareDescriptorTest {

  @Test
  void aSocketIsOpenedOnlyOnceTheSpareIsHeldAgain() throws Exception {
    try (SpareDescriptor spare = new SpareDescriptor()) {
      assertTrue(spare.take());
      assertTrue(spare.release());
      assertFalse(spare.release(), "released twice");

      assertEquals("opened", spare.open(() -> "opened"));
      assertTrue(spare.release(), "open took the spare back before opening");
    }
  }

  @Test
  void aClosedSpareIsNotTakenAgainAndNoLongerGatesOpening() throws Exception {
    SpareDescriptor spare = new SpareDescriptor();
    assertTrue(spare.take());
    spare.close();
    assertFalse(spare.take());
    assertFalse(spare.release());
    assertEquals("opened", spare.open(() -> "opened"));
  }
}
