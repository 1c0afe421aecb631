package dev.kindling.activities.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnershipRecordTest {
  @TempDir Path vmDir;

  @Test
  void theFirstClaimWinsAndLeavesOnlyTheRecord() throws Exception {
    OwnershipRecord first = OwnershipRecord.claim(vmDir, "request-a", null);
    OwnershipRecord second = OwnershipRecord.claim(vmDir, "request-b", null);

    assertEquals("request-a", first.requestId());
    assertEquals("request-a", second.requestId(), "the second claim sees the first's record");
    assertEquals("request-a", OwnershipRecord.read(vmDir).orElseThrow().requestId());
    try (Stream<Path> files = Files.list(vmDir)) {
      assertEquals(
          java.util.List.of(OwnershipRecord.FILE),
          files.map(f -> f.getFileName().toString()).toList());
    }
  }

  @Test
  void aDraftLeftByAClaimKilledMidWriteIsNeverTakenForARecord() throws Exception {
    Files.writeString(
        vmDir.resolve(OwnershipRecord.FILE + ".0b5e2c43-4c1e-4b8e-9a57-2f3f0d5c2a11.draft"),
        "{\"requ");

    assertTrue(OwnershipRecord.read(vmDir).isEmpty(), "a half-written claim is no record");
    assertEquals("request-a", OwnershipRecord.claim(vmDir, "request-a", null).requestId());
    assertEquals("request-a", OwnershipRecord.read(vmDir).orElseThrow().requestId());
  }
}
