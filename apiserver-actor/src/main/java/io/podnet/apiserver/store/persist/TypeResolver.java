package io.podnet.apiserver.store.persist;

import io.podnet.apiserver.store.ResourceType;
import java.util.Optional;

/**
 * Maps a stored (apiVersion, plural resource) back to the server's {@link ResourceType}. The disk
 * holds only those two names, so a kind whose per-kind rules change between versions of podnet is
 * recovered with the new rules.
 */
@FunctionalInterface
public interface TypeResolver {
  Optional<ResourceType> resolve(String apiVersion, String resource);
}
