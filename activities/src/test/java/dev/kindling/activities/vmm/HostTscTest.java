package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HostTscTest {
  @Test
  void prefersTheRefinedCalibrationOverTheDetectedRate() {
    String log =
        "[    0.000024] tsc: Detected 2445.404 MHz processor\n"
            + "[    1.234] tsc: Refined TSC clocksource calibration: 2445.399 MHz\n";
    assertEquals(OptionalLong.of(2445399), HostTsc.parse(log, ""));
  }

  @Test
  void readsTheDetectedRateAndPadsShortFractions() {
    assertEquals(
        OptionalLong.of(2445404),
        HostTsc.parse("[ 0.000024] tsc: Detected 2445.404 MHz processor", ""));
    assertEquals(OptionalLong.of(3000500), HostTsc.parse("tsc: Detected 3000.5 MHz processor", ""));
  }

  @Test
  void fallsBackToCpuinfo() {
    assertEquals(
        OptionalLong.of(2445404), HostTsc.parse("", "processor\t: 0\ncpu MHz\t\t: 2445.404\n"));
    assertTrue(HostTsc.parse("", "").isEmpty());
  }
}
