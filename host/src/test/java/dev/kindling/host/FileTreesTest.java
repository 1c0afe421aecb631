package dev.kindling.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path dir;

  @Test
  void anAtomicWriteReplacesTheWholeFileWithTheAskedPermissionsAndLeavesNoTemporaryFile()
      throws Exception {
    Path file = dir.resolve("sub").resolve("secrets.json");
    FileTrees.writeAtomically(file, "old".getBytes());
    FileTrees.writeAtomically(file, "new".getBytes(), "rw-------");

    assertArrayEquals("new".getBytes(), Files.readAllBytes(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (var left = Files.list(file.getParent())) {
      assertEquals(1, left.count(), "only the file itself");
    }
  }

  @Test
  void aRecursiveDeleteRemovesTheTreeButNeverFollowsALinkOutOfIt() throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "x");
    Path tree = Files.createDirectories(dir.resolve("tree").resolve("a"));
    Files.writeString(tree.resolve("f"), "y");
    Files.createSymbolicLink(tree.resolve("link"), outside);

    FileTrees.deleteRecursively(dir.resolve("tree"));

    assertFalse(Files.exists(dir.resolve("tree")));
    assertTrue(Files.exists(outside.resolve("keep")), "the link's target survives");
    FileTrees.deleteRecursively(dir.resolve("tree")); // gone already: nothing to do
  }
}
