package render

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// A successful build is kept (in memory and in the disk cache) as bytes:
// compact, free for the garbage collector to scan, and decoded into a
// fresh copy for every caller. The encoding keeps the Go types of the
// decoded YAML (int, uint64, float64, bool, string, nil, []any,
// map[string]any) exactly; a value of any other type is not encoded and
// the build is then not cached.

const codecMagic = "gitops-hook render 3\n"

var errCodec = errors.New("render cache entry: not understood")

// value tags
const (
	tagNil byte = iota + 1
	tagFalse
	tagTrue
	tagInt
	tagUint
	tagFloat
	tagString
	tagList
	tagMap
	tagNilList // a nil []any, not an empty one
	tagNilMap  // a nil map[string]any
)

type encoder struct{ b []byte }

func (e *encoder) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

func (e *encoder) value(v any, depth int) bool {
	if depth > 1000 {
		return false
	}
	switch t := v.(type) {
	case nil:
		e.b = append(e.b, tagNil)
	case bool:
		if t {
			e.b = append(e.b, tagTrue)
		} else {
			e.b = append(e.b, tagFalse)
		}
	case int:
		e.b = append(e.b, tagInt)
		e.b = binary.AppendVarint(e.b, int64(t))
	case uint64:
		e.b = append(e.b, tagUint)
		e.uvarint(t)
	case float64:
		e.b = append(e.b, tagFloat)
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(t))
	case string:
		e.b = append(e.b, tagString)
		e.str(t)
	case []any:
		if t == nil {
			e.b = append(e.b, tagNilList)
			break
		}
		e.b = append(e.b, tagList)
		e.uvarint(uint64(len(t)))
		for _, x := range t {
			if !e.value(x, depth+1) {
				return false
			}
		}
	case map[string]any:
		if t == nil {
			e.b = append(e.b, tagNilMap)
			break
		}
		e.b = append(e.b, tagMap)
		e.uvarint(uint64(len(t)))
		for _, k := range sortedKeys(t) {
			e.str(k)
			if !e.value(t[k], depth+1) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// encodeResult encodes a successful build; ok is false when it cannot be
// encoded.
func encodeResult(res Result) ([]byte, bool) {
	if res.Err != nil {
		return nil, false
	}
	e := &encoder{b: make([]byte, 0, 1024)}
	e.uvarint(uint64(len(res.Files)))
	for _, f := range res.Files {
		e.str(f)
	}
	e.uvarint(uint64(len(res.Remotes)))
	for _, r := range res.Remotes {
		e.str(r.File)
		e.str(r.Field)
		e.str(r.Entry)
	}
	e.uvarint(uint64(len(res.Objects)))
	for _, o := range res.Objects {
		for _, s := range []string{o.APIVersion, o.Kind, o.Name, o.Namespace, o.Origin, o.GeneratedBy} {
			e.str(s)
		}
		if !e.value(o.Doc, 0) {
			return nil, false
		}
	}
	return e.b, true
}

// encodeEntry joins the closure a build read and its encoded result.
func encodeEntry(closure []closureEntry, result []byte) []byte {
	e := &encoder{b: make([]byte, 0, len(codecMagic)+len(result)+len(closure)*48)}
	e.b = append(e.b, codecMagic...)
	e.uvarint(uint64(len(closure)))
	for _, c := range closure {
		e.str(c.path)
		e.b = append(e.b, byte(c.kind))
		e.b = append(e.b, c.sum[:]...)
	}
	return append(e.b, result...)
}

type decoder struct {
	b    []byte
	err  bool
	keys map[string]string // map keys repeat across objects: one copy each
}

// key reads a map key, sharing the strings of keys met before.
func (d *decoder) key() string {
	n := d.count()
	if d.err {
		return ""
	}
	b := d.b[:n]
	d.b = d.b[n:]
	if n > 64 {
		return string(b)
	}
	if d.keys == nil {
		d.keys = map[string]string{}
	}
	if k, ok := d.keys[string(b)]; ok {
		return k
	}
	k := string(b)
	d.keys[k] = k
	return k
}

func (d *decoder) uvarint() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[k:]
	return n
}

// count reads a length that cannot exceed what is left (each element
// takes at least one byte), so that garbage cannot make a huge allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) byte1() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) value(depth int) any {
	if depth > 1000 || d.err {
		d.err = true
		return nil
	}
	switch d.byte1() {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		n, k := binary.Varint(d.b)
		if k <= 0 {
			d.err = true
			return nil
		}
		d.b = d.b[k:]
		return int(n)
	case tagUint:
		return d.uvarint()
	case tagFloat:
		if len(d.b) < 8 {
			d.err = true
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return f
	case tagString:
		return d.str()
	case tagNilList:
		return []any(nil)
	case tagNilMap:
		return map[string]any(nil)
	case tagList:
		n := d.count()
		l := make([]any, 0, n)
		for i := 0; i < n && !d.err; i++ {
			l = append(l, d.value(depth+1))
		}
		return l
	case tagMap:
		n := d.count()
		m := make(map[string]any, n)
		for i := 0; i < n && !d.err; i++ {
			k := d.key()
			m[k] = d.value(depth + 1)
		}
		return m
	}
	d.err = true
	return nil
}

// decodeClosure reads the closure at the start of an entry and returns
// the decoder positioned at the result.
func decodeClosure(b []byte) ([]closureEntry, *decoder, error) {
	if len(b) < len(codecMagic) || string(b[:len(codecMagic)]) != codecMagic {
		return nil, nil, errCodec
	}
	d := &decoder{b: b[len(codecMagic):]}
	n := d.count()
	closure := make([]closureEntry, 0, n)
	for i := 0; i < n && !d.err; i++ {
		var c closureEntry
		c.path = d.str()
		c.kind = entryKind(d.byte1())
		if len(d.b) < 32 {
			d.err = true
			break
		}
		copy(c.sum[:], d.b[:32])
		d.b = d.b[32:]
		closure = append(closure, c)
	}
	if d.err {
		return nil, nil, errCodec
	}
	return closure, d, nil
}

// splitEntry returns the closure of an entry and its encoded result.
func splitEntry(b []byte) ([]closureEntry, []byte, error) {
	closure, d, err := decodeClosure(b)
	if err != nil {
		return nil, nil, err
	}
	return closure, d.b, nil
}

// decodeResultBytes decodes an encoded result.
func decodeResultBytes(b []byte) (Result, error) { return decodeResult(&decoder{b: b}) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeResult reads the result that follows the closure.
func decodeResult(d *decoder) (Result, error) {
	var res Result
	if n := d.count(); n > 0 {
		res.Files = make([]string, 0, n)
		for i := 0; i < n && !d.err; i++ {
			res.Files = append(res.Files, d.str())
		}
	}
	if n := d.count(); n > 0 {
		res.Remotes = make([]Remote, 0, n)
		for i := 0; i < n && !d.err; i++ {
			res.Remotes = append(res.Remotes, Remote{File: d.str(), Field: d.str(), Entry: d.str()})
		}
	}
	n := d.count()
	res.Objects = make([]Object, 0, n)
	for i := 0; i < n && !d.err; i++ {
		o := Object{APIVersion: d.str(), Kind: d.str(), Name: d.str(), Namespace: d.str(), Origin: d.str(), GeneratedBy: d.str()}
		doc, ok := d.value(0).(map[string]any)
		if !ok {
			d.err = true
		}
		o.Doc = doc
		res.Objects = append(res.Objects, o)
	}
	if d.err || len(d.b) != 0 {
		return Result{}, errCodec
	}
	return res, nil
}
