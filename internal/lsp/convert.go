package lsp

import (
	"path/filepath"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
)

// diagData travels in Diagnostic.data and comes back in codeAction
// requests (glsp loses the code on the way back).
type diagData struct {
	Rule  string `json:"rule"`
	Fixes []int  `json:"fixes"`
}

func severity(s diag.Severity) protocol.DiagnosticSeverity {
	switch s {
	case diag.Error:
		return protocol.DiagnosticSeverityError
	case diag.Warning:
		return protocol.DiagnosticSeverityWarning
	case diag.Info:
		return protocol.DiagnosticSeverityInformation
	}
	return protocol.DiagnosticSeverityHint
}

func joinRoot(root, p string) string { return filepath.Join(root, filepath.FromSlash(p)) }

// rangeIn converts an engine range in a repository file of the analysed
// view; a file that cannot be read keeps the engine's columns.
func (st *state) rangeIn(p string, r diag.Range) protocol.Range {
	if l := st.linesOf(p); l != nil {
		return l.rangeOf(r)
	}
	return protocol.Range{
		Start: protocol.Position{Line: uint32(max(r.Start.Line-1, 0)), Character: uint32(max(r.Start.Col-1, 0))},
		End:   protocol.Position{Line: uint32(max(r.End.Line-1, 0)), Character: uint32(max(r.End.Col-1, 0))},
	}
}

func (s *Server) toProtocol(st *state, d diag.Diagnostic) protocol.Diagnostic {
	sev := severity(d.Severity)
	source := "gitops"
	data := diagData{Rule: d.Rule, Fixes: []int{}}
	for i := range d.Fixes {
		data.Fixes = append(data.Fixes, i)
	}
	out := protocol.Diagnostic{
		Range:           st.rangeIn(d.File, d.Range),
		Severity:        &sev,
		Code:            &protocol.IntegerOrString{Value: d.Rule},
		CodeDescription: &protocol.CodeDescription{HRef: report.RuleURL(d.Rule)},
		Source:          &source,
		Message:         d.Message,
		Data:            data,
	}
	for _, r := range d.Related {
		if loc, ok := s.relatedLocation(st, d, r); ok {
			out.RelatedInformation = append(out.RelatedInformation, protocol.DiagnosticRelatedInformation{Location: loc, Message: r.Message})
		}
	}
	return out
}

// relatedLocation resolves a related place: a file of the repository, or
// a file inside a base at a tag, opened as a read-only copy.
func (s *Server) relatedLocation(st *state, d diag.Diagnostic, r diag.Related) (protocol.Location, bool) {
	if st.linesOf(r.File) != nil && !st.isBaseRelated(r) {
		return protocol.Location{URI: pathURI(joinRoot(st.root, r.File)), Range: st.rangeIn(r.File, r.Range)}, true
	}
	if abs, l, ok := s.materialise(st, r); ok {
		return protocol.Location{URI: pathURI(abs), Range: l.rangeOf(r.Range)}, true
	}
	// Unreachable copy: point at the finding itself, the message says where.
	return protocol.Location{URI: pathURI(joinRoot(st.root, d.File)), Range: st.rangeIn(d.File, d.Range)}, true
}
