package io.podnet.apiserver.controllers;

import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;

/**
 * What kube-apiserver does to a write before it is stored (defaulting, allocation, admission
 * plugins, validation): returns the object to store or throws an ApiException with the Status the
 * client gets. Runs for every create and every update of the main resource, whoever the writer is
 * (kubectl through HTTP or a controller).
 */
public interface Admission {
  Admission NONE = (store, type, request, old) -> request;

  /**
   * @param old the stored object on update, null on create
   */
  KubeObject admit(ObjectStore store, ResourceType type, KubeObject request, KubeObject old);

  /** This admission, then {@code next}. */
  default Admission then(Admission next) {
    return (store, type, request, old) -> next.admit(store, type, admit(store, type, request, old), old);
  }
}
