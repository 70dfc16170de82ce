package build

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Masks written in place of secret values.
const (
	// SOPSMask is what `flux build` shows for SOPS-encrypted values.
	SOPSMask = "**SOPS**"
	// SecretMask replaces the other values of a Secret, unless they are
	// asked for: rendered output gets pasted into tickets.
	SecretMask = "***"
)

// IsSOPS reports whether an object carries SOPS metadata, the test
// `flux build` uses ("sops:" and "mac: ENC[" in its YAML).
func IsSOPS(doc map[string]any) bool {
	s, ok := doc["sops"].(map[string]any)
	if !ok {
		return false
	}
	mac, _ := s["mac"].(string)
	return strings.HasPrefix(mac, "ENC[")
}

// Mask returns a copy of an object for display: a Secret's SOPS-encrypted
// values become **SOPS** (base64-encoded in data) and its sops metadata is
// dropped, as `flux build` does; unless showSecrets, every other value of
// data and stringData becomes ***. Other kinds are returned as they are.
func Mask(o Object, showSecrets bool) Object {
	if o.Kind != "Secret" || o.APIVersion != "v1" {
		return o
	}
	doc := copyMap(o.Doc)
	data, _ := doc["data"].(map[string]any)
	sdata, _ := doc["stringData"].(map[string]any)
	sopsB64 := base64.StdEncoding.EncodeToString([]byte(SOPSMask))
	if IsSOPS(doc) {
		delete(doc, "sops")
		if t, _ := doc["type"].(string); t == "kubernetes.io/dockerconfigjson" {
			// The value must stay a JSON document for this type.
			j, _ := json.Marshal(map[string]string{"mask": SOPSMask})
			for k := range data {
				data[k] = base64.StdEncoding.EncodeToString(j)
			}
			for k := range sdata {
				sdata[k] = string(j)
			}
		} else {
			for k := range data {
				data[k] = sopsB64
			}
			for k := range sdata {
				sdata[k] = SOPSMask
			}
		}
	} else {
		for k, v := range data {
			s, _ := v.(string)
			dec, err := base64.StdEncoding.DecodeString(s)
			switch {
			case err == nil && bytes.Contains(dec, []byte("sops")) && bytes.Contains(dec, []byte("ENC[")):
				data[k] = sopsB64
			case !showSecrets:
				data[k] = SecretMask
			}
		}
		for k, v := range sdata {
			s, _ := v.(string)
			switch {
			case strings.Contains(s, "sops") && strings.Contains(s, "ENC["):
				sdata[k] = SOPSMask
			case !showSecrets:
				sdata[k] = SecretMask
			}
		}
	}
	o.Doc = doc
	return o
}

// copyMap copies the top level of doc and its data maps, the parts Mask
// changes.
func copyMap(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if m, ok := v.(map[string]any); ok && (k == "data" || k == "stringData") {
			c := make(map[string]any, len(m))
			for mk, mv := range m {
				c[mk] = mv
			}
			v = c
		}
		out[k] = v
	}
	return out
}
