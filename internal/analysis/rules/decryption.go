package rules

import (
	"fmt"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// IsSOPS reports whether a document is SOPS-encrypted.
func IsSOPS(n *yaml.Node) bool {
	return yamlfile.Get(n, "sops") != nil && (yamlfile.Get(n, "sops", "mac") != nil || yamlfile.Get(n, "sops", "age") != nil || yamlfile.Get(n, "sops", "pgp") != nil || yamlfile.Get(n, "sops", "kms") != nil || yamlfile.Get(n, "sops", "encrypted_regex") != nil || yamlfile.Get(n, "sops", "lastmodified") != nil)
}

var decryption = &Check{
	Name:    "decryption",
	Reports: []*catalog.Rule{catalog.FluxDecryptionMissing},
	Run:     func(p *Pass) error { checkDecryption(p); return nil },
}

func checkDecryption(c *Pass) {
	repoPulls(c, func(cl *model.Cluster, p *model.Pull) {
		if yamlfile.Get(p.K.Obj.Node(), "spec", "decryption") != nil || p.View == nil || patchedByParent(p.K, "decryption") {
			return
		}
		for _, a := range cl.Applied {
			if a.Via != p || !IsSOPS(a.Obj.Node()) {
				continue
			}
			o := p.K.Obj
			at := p.PathNode
			if at == nil {
				at, _ = yamlfile.GetKV(o.Node(), "spec")
			}
			d := c.Report(catalog.FluxDecryptionMissing, o.File, at,
				fmt.Sprintf("Kustomization %s applies SOPS-encrypted %s but has no spec.decryption: Flux would apply the ciphertext", o.Name, a.Obj.File.Path))
			d.Related = append(d.Related, related(labelOf(a), a.Obj.File.Path, a.Obj.File, nil, "encrypted file"))
			if fx, ok := decryptionFix(o); ok {
				d.Fixes = append(d.Fixes, fx)
			}
			return
		}
	})
}

func labelOf(a *model.Applied) string {
	if a.Via == nil || !a.Via.External {
		return ""
	}
	return pullLabel(a.Via)
}

func decryptionFix(o *model.Object) (diag.Fix, bool) {
	sk, sv := yamlfile.GetKV(o.Node(), "spec")
	if sk == nil || sv.Kind != yaml.MappingNode || len(sv.Content) == 0 || sv.Style&yaml.FlowStyle != 0 {
		return diag.Fix{}, false
	}
	first := sv.Content[0]
	indent := strings.Repeat(" ", first.Column-1)
	at := o.File.PosAt(first.Line, 1)
	text := indent + "decryption:\n" + indent + "  provider: sops\n" + indent + "  secretRef:\n" + indent + "    name: sops-age\n"
	return diag.Fix{Title: "Add SOPS decryption", Edits: []diag.Edit{{File: o.File.Path, Range: diag.Range{Start: at, End: at}, NewText: text}}}, true
}
