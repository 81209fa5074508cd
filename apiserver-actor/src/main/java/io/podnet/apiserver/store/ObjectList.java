package io.podnet.apiserver.store;

import java.util.List;

/**
 * The result of a list: the items, in namespace then name order, and the store's resourceVersion
 * at the time of the list (metadata.resourceVersion of the XxxList), from which a watch continues.
 */
public record ObjectList(String resourceVersion, List<KubeObject> items) {
  public ObjectList {
    items = List.copyOf(items);
  }
}
