package dev.kindling.activities.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class DeploymentTest {
  private static final Deployment OURS = Deployment.of("localhost:7233", "default", false);

  @Test
  void localhostAndLoopbackNameOneDeployment() {
    assertEquals("127.0.0.1:7233/default", OURS.id());
    assertEquals(OURS.id(), Deployment.of("127.0.0.1:7233", "default", true).id());
    assertEquals("10.0.0.5:7233/prod", Deployment.of("dns:///10.0.0.5:7233", "prod", false).id());
  }

  @Test
  void anotherDeploymentKeepsItsVmsUntilItsInMemoryServerIsGone() throws Exception {
    try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String theirs = "127.0.0.1:" + listening.getLocalPort() + "/default";
      assertTrue(record(theirs, true).ownedByAnother(OURS), "its server still listens");
      assertTrue(
          record(theirs, false).ownedByAnother(OURS), "a server with state on disk may come back");
      listening.close();
      assertFalse(
          record(theirs, true).ownedByAnother(OURS),
          "an in-memory server that is gone wants nothing");
      assertTrue(
          record(theirs, false).ownedByAnother(OURS),
          "a persistent deployment that is down may come back");
    }
  }

  @Test
  void ourOwnRecordsAndRecordsWithoutADeploymentAreOurs() {
    assertFalse(record(OURS.id(), false).ownedByAnother(OURS));
    assertFalse(record(null, false).ownedByAnother(OURS));
  }

  @Test
  void onlyLoopbackServersAreAskedWhetherTheyAreGone() {
    assertFalse(
        Deployment.inMemoryServerGone("10.1.2.3:7233/default"), "never contacted, presumed alive");
  }

  private static OwnershipRecord record(String deployment, boolean inMemory) {
    return new OwnershipRecord("req", 0, "browser-vm-s", deployment, inMemory);
  }
}
