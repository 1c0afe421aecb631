package dev.kindling.workflows.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
  private static final Duration LONG = Duration.ofSeconds(10);
  private static final Duration SHORT = Duration.ofMillis(100);

  @Test
  void returnsTheFirstValueThatIsDone() throws Exception {
    AtomicInteger polls = new AtomicInteger();
    assertEquals(3, Await.until("three polls", LONG, polls::incrementAndGet, n -> n >= 3));
    assertEquals(
        "ready", Await.value("a value", LONG, () -> polls.incrementAndGet() > 5 ? "ready" : null));
  }

  @Test
  void aTimeoutSaysWhatForHowLongAndWhatItLastSaw() {
    AssertionError failure =
        assertThrows(
            AssertionError.class, () -> Await.until("the answer", SHORT, () -> 41, n -> n == 42));
    assertEquals("awaited the answer for 100 ms; last seen: 41", failure.getMessage());
    assertNull(failure.getCause());
  }

  @Test
  void toleratedExceptionsMeanNotYetAndTheLastIsTheCause() throws Exception {
    AtomicInteger polls = new AtomicInteger();
    Await.Probe<String, IOException> refusedTwice =
        () -> {
          if (polls.incrementAndGet() < 3) {
            throw new IOException("refused");
          }
          return "ok";
        };
    assertEquals("ok", Await.value("an answer", LONG, refusedTwice, IOException.class));

    IOException refused = new IOException("refused");
    AssertionError failure =
        assertThrows(
            AssertionError.class,
            () ->
                Await.value(
                    "an answer",
                    SHORT,
                    () -> {
                      throw refused;
                    },
                    IOException.class));
    assertSame(refused, failure.getCause());
  }

  @Test
  void otherExceptionsEndTheWait() {
    IOException broken = new IOException("broken");
    long started = System.nanoTime();
    assertSame(
        broken,
        assertThrows(
            IOException.class,
            () ->
                Await.value(
                    "an answer",
                    LONG,
                    () -> {
                      throw broken;
                    })));
    assertThrows(
        IllegalStateException.class,
        () ->
            Await.value(
                "an answer",
                LONG,
                () -> {
                  throw new IllegalStateException("wrong");
                },
                IOException.class));
    assertTrue(
        Duration.ofNanos(System.nanoTime() - started).compareTo(LONG) < 0,
        "no waiting for the timeout");
  }

  @Test
  void aLongLastValueIsShortened() {
    String log = "start\n" + "x".repeat(10_000) + "\nend";
    AssertionError failure =
        assertThrows(
            AssertionError.class, () -> Await.until("a line", SHORT, () -> log, text -> false));
    String message = failure.getMessage();
    assertTrue(message.length() < 4200, "length " + message.length());
    assertTrue(message.contains("start") && message.endsWith("\nend"), message.substring(0, 100));
  }
}
