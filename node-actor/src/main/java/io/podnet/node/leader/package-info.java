/** Leader election for node agents over coordination.k8s.io/v1 Leases, with client-go's semantics. */
package io.podnet.node.leader;
