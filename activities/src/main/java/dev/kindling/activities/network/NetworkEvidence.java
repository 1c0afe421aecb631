package dev.kindling.activities.network;

/** What {@code ip} says about one VM's namespace, as text for diagnostics. */
public record NetworkEvidence(
    String namespace, String links, String addresses, String routes, String neighbours) {}
