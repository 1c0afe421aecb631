package dev.kindling.activities.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiagnosticsCollectorTest {
  @TempDir Path temp;

  @Test
  void serialTailKeepsTheLastFourKibibytesWithoutTerminalEscapes() throws Exception {
    Path log = temp.resolve("serial.log");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      text.append("[\u001B[0;32m  OK  \u001B[0m] Started unit ").append(i).append("\r\n");
    }
    text.append("KINDLING-READY units=5\n");
    Files.writeString(log, text, StandardCharsets.UTF_8);

    String tail = DiagnosticsCollector.serialTail(log);

    assertTrue(tail.startsWith("..."), tail.substring(0, 20));
    assertTrue(tail.endsWith("KINDLING-READY units=5\n"), tail);
    assertTrue(tail.contains("[  OK  ] Started unit 499\n"), tail);
    assertTrue(
        tail.indexOf('\u001B') < 0 && tail.indexOf('\r') < 0,
        "escapes and carriage returns are gone");
    assertTrue(
        tail.length() <= DiagnosticsCollector.SERIAL_TAIL_BYTES + 3, "length " + tail.length());
  }

  @Test
  void aMissingSerialLogIsNamedNotFatal() {
    assertTrue(
        DiagnosticsCollector.serialTail(temp.resolve("absent.log"))
            .startsWith("(no serial log at "));
    assertNull(DiagnosticsCollector.serialTail(null));
  }

  @Test
  void findsTheGuestsNeighbourEntryOnly() {
    String neighbours =
        "169.254.77.22 dev tap0 lladdr 02:00:00:00:00:01 STALE\n169.254.77.2 dev tap0 FAILED\n";
    assertEquals(
        "169.254.77.2 dev tap0 FAILED",
        DiagnosticsCollector.neighbourEntry(neighbours, "169.254.77.2"));
    assertNull(DiagnosticsCollector.neighbourEntry("", "169.254.77.2"));
  }
}
