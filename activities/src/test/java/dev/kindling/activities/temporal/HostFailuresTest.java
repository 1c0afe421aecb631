package dev.kindling.activities.temporal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.vmm.VmmException;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.KindedException;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class HostFailuresTest {
  @Test
  void aKindedExceptionBecomesItsKindWithItsEvidence() {
    KindedException withEvidence =
        new KindedException(FailureKind.GUEST_UNREACHABLE, "no ARP reply") {
          @Override
          public Object[] details() {
            return new Object[] {"neighbour table"};
          }
        };
    ApplicationFailure failure =
        assertThrows(
            ApplicationFailure.class,
            () ->
                HostFailures.typed(
                    () -> {
                      throw withEvidence;
                    }));
    assertEquals("GuestUnreachable", failure.getType());
    assertEquals("no ARP reply", failure.getOriginalMessage());
    assertTrue(failure.isNonRetryable(), "its kind says so");
    assertEquals("neighbour table", failure.getDetails().get(String.class));

    ApplicationFailure vmm =
        assertThrows(
            ApplicationFailure.class,
            () ->
                HostFailures.typed(
                    () -> {
                      throw new VmmException(FailureKind.VMM_EXITED, "exited with 1");
                    }));
    assertEquals(FailureKind.VMM_EXITED.type(), vmm.getType());
  }

  @Test
  void invalidInputAndFailedCommandsHaveTheirKinds() {
    ApplicationFailure invalid =
        assertThrows(
            ApplicationFailure.class,
            () ->
                HostFailures.typed(
                    () -> {
                      throw new InvalidInputException("vmId", "is required");
                    }));
    assertEquals("InvalidInput", invalid.getType());
    assertEquals("vmId: is required", invalid.getOriginalMessage());

    ApplicationFailure command =
        assertThrows(
            ApplicationFailure.class,
            () ->
                HostFailures.typed(
                    "creating the network of vm1",
                    () -> {
                      throw new IOException("EPERM");
                    }));
    assertEquals("CommandFailed", command.getType());
    assertEquals("creating the network of vm1 failed: EPERM", command.getOriginalMessage());
  }

  @Test
  void aTemporalFailurePassesUnchangedAndAnythingElseIsNotGuessed() {
    ApplicationFailure already = FailureKind.OWNERSHIP_CONFLICT.failure("another request");
    assertSame(
        already,
        assertThrows(
            ApplicationFailure.class,
            () ->
                HostFailures.typed(
                    () -> {
                      throw already;
                    })));
    assertThrows(
        IllegalStateException.class,
        () ->
            HostFailures.typed(
                () -> {
                  throw new IllegalStateException("a bug");
                }));
  }
}
