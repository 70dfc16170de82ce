// Package kinds holds what the engine knows about Kubernetes kinds by name
// alone, for every package that needs it (the model, the builds).
package kinds

import "strings"

// clusterScoped are the built-in kinds kustomize knows to be cluster-scoped
// (kyaml's openapi precomputedIsNamespaceScoped): its namespace transformer
// and Flux's targetNamespace leave them alone. Like kustomize, every other
// kind, custom kinds included, is taken as namespaced.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "CustomResourceDefinition": true, "StorageClass": true,
	"PriorityClass": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"APIService": true, "CSIDriver": true, "CSINode": true, "IngressClass": true, "RuntimeClass": true,
	"VolumeAttachment": true, "CertificateSigningRequest": true, "PodSecurityPolicy": true,
	"ComponentStatus": true, "ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"FlowSchema": true, "PriorityLevelConfiguration": true,
}

// ClusterScoped reports whether kustomize takes kind as cluster-scoped.
func ClusterScoped(kind string) bool { return clusterScoped[kind] }

// Group is the API group of an apiVersion ("" for the core group: "v1").
func Group(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}
