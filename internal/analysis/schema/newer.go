package schema

// The built-in definitions come from the Kubernetes v1.21 OpenAPI document
// that kyaml embeds. Strict validation against it would call every field
// added since an unknown field, so the fields that later releases made
// generally available (or beta and on by default) are added here, open
// (any value): a typo next to them is still caught, their contents are not
// checked. Likewise kinds whose later version kept the earlier schema.
var newerFields = map[string][]string{
	"io.k8s.api.core.v1.PodSpec":                            {"hostUsers", "os", "schedulingGates", "resourceClaims", "resources", "hostnameOverride"},
	"io.k8s.api.core.v1.Container":                          {"resizePolicy", "restartPolicy", "restartPolicyRules"},
	"io.k8s.api.core.v1.EphemeralContainer":                 {"resizePolicy", "restartPolicy", "restartPolicyRules"},
	"io.k8s.api.core.v1.ResourceRequirements":               {"claims"},
	"io.k8s.api.core.v1.Handler":                            {"sleep"},
	"io.k8s.api.core.v1.Lifecycle":                          {"stopSignal"},
	"io.k8s.api.core.v1.Probe":                              {"grpc"},
	"io.k8s.api.core.v1.EnvVarSource":                       {"fileKeyRef"},
	"io.k8s.api.core.v1.SecurityContext":                    {"appArmorProfile"},
	"io.k8s.api.core.v1.PodSecurityContext":                 {"appArmorProfile", "supplementalGroupsPolicy", "seLinuxChangePolicy"},
	"io.k8s.api.core.v1.VolumeMount":                        {"recursiveReadOnly"},
	"io.k8s.api.core.v1.Volume":                             {"image"},
	"io.k8s.api.core.v1.VolumeProjection":                   {"clusterTrustBundle", "podCertificate"},
	"io.k8s.api.core.v1.TopologySpreadConstraint":           {"minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys"},
	"io.k8s.api.core.v1.PodAffinityTerm":                    {"matchLabelKeys", "mismatchLabelKeys"},
	"io.k8s.api.core.v1.PersistentVolumeClaimSpec":          {"dataSourceRef", "volumeAttributesClassName"},
	"io.k8s.api.core.v1.PersistentVolumeSpec":               {"volumeAttributesClassName"},
	"io.k8s.api.core.v1.CSIPersistentVolumeSource":          {"nodeExpandSecretRef"},
	"io.k8s.api.core.v1.ServiceSpec":                        {"trafficDistribution"},
	"io.k8s.api.apps.v1.StatefulSetSpec":                    {"minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"},
	"io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy":   {"maxUnavailable"},
	"io.k8s.api.batch.v1.JobSpec":                           {"podFailurePolicy", "backoffLimitPerIndex", "maxFailedIndexes", "podReplacementPolicy", "successPolicy", "managedBy"},
	"io.k8s.api.batch.v1.CronJobSpec":                       {"timeZone"},
	"io.k8s.api.policy.v1.PodDisruptionBudgetSpec":          {"unhealthyPodEvictionPolicy"},
	"io.k8s.api.storage.v1.CSIDriverSpec":                   {"seLinuxMount", "nodeAllocatableUpdatePeriodSeconds"},
	"io.k8s.api.admissionregistration.v1.ValidatingWebhook": {"matchConditions"},
	"io.k8s.api.admissionregistration.v1.MutatingWebhook":   {"matchConditions"},
}

// newerKinds maps a group/version/kind that became GA after v1.21 to the
// definition of the earlier version with the same fields.
var newerKinds = map[gvk]string{
	{"autoscaling", "v2", "HorizontalPodAutoscaler"}: "io.k8s.api.autoscaling.v2beta2.HorizontalPodAutoscaler",
}

// addNewer adds the newer fields to the raw (not yet strictified)
// definitions and the newer kinds to the kind index.
// addNewerFields adds the fields of newer Kubernetes versions to the
// converted definition name.
func addNewerFields(name string, def any) {
	fields, ok := newerFields[name]
	if !ok {
		return
	}
	m, ok := def.(map[string]any)
	if !ok {
		return
	}
	props, ok := m["properties"].(map[string]any)
	if !ok {
		return
	}
	for _, f := range fields {
		if _, exists := props[f]; !exists {
			props[f] = map[string]any{}
		}
	}
}

// addNewerKinds names the definitions of kinds newer Kubernetes versions
// serve.
func addNewerKinds(defs *defSet, kinds map[gvk]string) {
	for k, name := range newerKinds {
		if _, ok := kinds[k]; !ok && defs.has(name) {
			kinds[k] = name
		}
	}
}
