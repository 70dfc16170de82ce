package lsp

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// document is an open editor buffer.
type document struct {
	uri     string // as the client spells it
	abs     string // absolute path
	version int32
	text    []byte
	// asOnDisk: opened with the content of the file on disk, and not
	// changed since, so an analysis that read the disk read this text.
	asOnDisk bool
}

// maxDocument bounds the buffers kept for analysis; a larger one is kept
// out of the overlay (disk content is analysed, which the engine in turn
// reports as too large).
const maxDocument = 64 << 20

func (s *Server) didOpen(_ *glsp.Context, p *protocol.DidOpenTextDocumentParams) error {
	abs, ok := uriPath(p.TextDocument.URI)
	if !ok {
		return nil // not a file: nothing of the repository
	}
	text := []byte(p.TextDocument.Text)
	s.mu.Lock()
	prev := s.docs[abs]
	inRoot := rel(s.root, abs) != ""
	s.mu.Unlock()
	same := inRoot && prev == nil && s.sameAsAnalysed(p.TextDocument.URI, abs, text)
	s.mu.Lock()
	s.docs[abs] = &document{uri: p.TextDocument.URI, abs: abs, version: p.TextDocument.Version, text: text, asOnDisk: same}
	s.mu.Unlock()
	if inRoot && !same {
		s.changed()
	}
	return nil
}

// sameAsAnalysed tells whether a buffer opened or closed with text
// changes nothing for the analysis: the text is the file's on disk, which
// the analyses read while it is not open, and the findings were published
// under the client's URI. Opening or closing a file then costs no
// analysis.
func (s *Server) sameAsAnalysed(uri, abs string, text []byte) bool {
	if uri != pathURI(abs) {
		return false // findings were published under another spelling
	}
	// Only a regular file of the buffer's size is read, and no further:
	// the path may name a device or a pipe.
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() || st.Size() != int64(len(text)) {
		return false
	}
	f, err := os.Open(abs)
	if err != nil {
		return false
	}
	defer f.Close()
	disk, err := io.ReadAll(io.LimitReader(f, int64(len(text))+1))
	return err == nil && bytes.Equal(disk, text)
}

func (s *Server) didChange(_ *glsp.Context, p *protocol.DidChangeTextDocumentParams) error {
	abs, ok := uriPath(p.TextDocument.URI)
	if !ok {
		return nil
	}
	s.mu.Lock()
	d := s.docs[abs]
	if d == nil {
		s.mu.Unlock()
		s.logf("didChange for %s, which is not open: ignored", p.TextDocument.URI)
		return nil
	}
	text := d.text
	for _, c := range p.ContentChanges {
		switch c := c.(type) {
		case protocol.TextDocumentContentChangeEventWhole:
			text = []byte(c.Text)
		case protocol.TextDocumentContentChangeEvent:
			var ok bool
			text, ok = applyChange(text, *c.Range, c.Text)
			if !ok {
				s.logOnly("didChange %s: range %d:%d-%d:%d lies outside the document: clamped", p.TextDocument.URI,
					c.Range.Start.Line, c.Range.Start.Character, c.Range.End.Line, c.Range.End.Character)
			}
		}
	}
	d.text, d.version, d.asOnDisk = text, p.TextDocument.Version, false
	inRoot := rel(s.root, abs) != ""
	s.mu.Unlock()
	if inRoot {
		s.changed()
	}
	return nil
}

func (s *Server) didClose(_ *glsp.Context, p *protocol.DidCloseTextDocumentParams) error {
	abs, ok := uriPath(p.TextDocument.URI)
	if !ok {
		return nil
	}
	s.mu.Lock()
	d, open := s.docs[abs]
	delete(s.docs, abs)
	inRoot := rel(s.root, abs) != ""
	s.mu.Unlock()
	// The disk content takes over; it may differ from the last buffer.
	if open && inRoot && !s.sameAsAnalysed(d.uri, abs, d.text) {
		s.changed()
	}
	return nil
}

func (s *Server) didSave(_ *glsp.Context, p *protocol.DidSaveTextDocumentParams) error {
	// The buffer already is the analysed content; saving changes only the
	// disk under it, which matters to actions that read the disk.
	return nil
}

// overlayFiles returns the open buffers inside root, by repository path,
// with the versions read.
func (s *Server) overlayFiles() (files map[string][]byte, versions map[string]int32) {
	files, versions = map[string][]byte{}, map[string]int32{}
	for abs, d := range s.docs {
		r := rel(s.root, abs)
		if r == "" || len(d.text) > maxDocument {
			continue
		}
		files[r] = d.text
		versions[r] = d.version
	}
	return files, versions
}

// fileExists reports whether a path exists on disk.
func fileExists(p string) bool {
	_, err := os.Stat(filepath.Clean(p))
	return err == nil
}
