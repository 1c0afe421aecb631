package dev.kindling.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** An installed Debian package as {@code dpkg-query} reports it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PackageVersion(String name, String version) {}
