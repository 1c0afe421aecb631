package dev.kindling.host.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EffectiveCapabilitiesTest {
  @Test
  void readsTheEffectiveSetNotTheUserName() {
    EffectiveCapabilities root =
        EffectiveCapabilities.parse(
            List.of("Name:\tjava", "CapInh:\t0000000000000000", "CapEff:\t000001ffffffffff"));
    assertTrue(
        root.hasAll(EffectiveCapabilities.CAP_NET_ADMIN, EffectiveCapabilities.CAP_SYS_ADMIN));

    // A container's root without CAP_SYS_ADMIN (docker's default set) cannot make namespaces.
    EffectiveCapabilities dockerRoot =
        EffectiveCapabilities.parse(List.of("CapEff:\t00000000a80425fb"));
    assertFalse(
        dockerRoot.hasAll(
            EffectiveCapabilities.CAP_NET_ADMIN, EffectiveCapabilities.CAP_SYS_ADMIN));

    assertFalse(
        EffectiveCapabilities.parse(List.of("Name:\tjava"))
            .hasAll(EffectiveCapabilities.CAP_NET_ADMIN));
  }
}
