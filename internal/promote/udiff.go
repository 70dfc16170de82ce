package promote

import (
	"fmt"
	"strings"
)

// UnifiedDiff renders the change of one file as a unified diff with three
// lines of context, paths prefixed a/ and b/ (/dev/null for a created or
// deleted file). It returns "" when nothing changed.
func UnifiedDiff(c Change) string {
	if c.Before != nil && c.After != nil && string(c.Before) == string(c.After) {
		return ""
	}
	from, to := "a/"+c.File, "b/"+c.File
	if c.Before == nil {
		from = "/dev/null"
	}
	if c.After == nil {
		to = "/dev/null"
	}
	a, b := splitLines(string(c.Before)), splitLines(string(c.After))
	ops := diffLines(a, b)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
	writeHunks(&sb, ops, a, b, 3)
	return sb.String()
}

// splitLines keeps line ends; a last line without one is marked.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

type opKind byte

const (
	opEq  opKind = ' '
	opDel opKind = '-'
	opIns opKind = '+'
)

type op struct {
	kind opKind
	a, b int // line indexes in a (for eq/del) and b (for eq/ins)
}

// diffLines computes a shortest edit script with Myers' algorithm over
// the lines left after trimming the common prefix and suffix.
func diffLines(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{opEq, i, i})
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf], pre, pre)...)
	for i := 0; i < suf; i++ {
		ops = append(ops, op{opEq, len(a) - suf + i, len(b) - suf + i})
	}
	return ops
}

func myers(a, b []string, offA, offB int) []op {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		var ops []op
		for i := 0; i < n; i++ {
			ops = append(ops, op{opDel, offA + i, offB})
		}
		for j := 0; j < m; j++ {
			ops = append(ops, op{opIns, offA + n, offB + j})
		}
		return ops
	}
	max := n + m
	v := make([]int, 2*max+2)
	var trace [][]int
	var d int
loop:
	for d = 0; d <= max; d++ {
		snap := make([]int, len(v))
		copy(snap, v)
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[max+k-1] < v[max+k+1]) {
				x = v[max+k+1]
			} else {
				x = v[max+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[max+k] = x
			if x >= n && y >= m {
				break loop
			}
		}
	}
	// Walk back through the trace.
	var rev []op
	x, y := n, m
	for ; d > 0; d-- {
		vv := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && vv[max+k-1] < vv[max+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := vv[max+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, op{opEq, offA + x, offB + y})
		}
		if x == prevX {
			y--
			rev = append(rev, op{opIns, offA + x, offB + y})
		} else {
			x--
			rev = append(rev, op{opDel, offA + x, offB + y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, op{opEq, offA + x, offB + y})
	}
	ops := make([]op, len(rev))
	for i := range rev {
		ops[i] = rev[len(rev)-1-i]
	}
	return ops
}

func writeHunks(sb *strings.Builder, ops []op, a, b []string, ctx int) {
	i := 0
	for i < len(ops) {
		// Find the next change.
		for i < len(ops) && ops[i].kind == opEq {
			i++
		}
		if i >= len(ops) {
			return
		}
		start := i - ctx
		if start < 0 {
			start = 0
		}
		// Extend while changes are within 2*ctx of each other.
		end := i
		for {
			for end < len(ops) && ops[end].kind != opEq {
				end++
			}
			eq := end
			for eq < len(ops) && ops[eq].kind == opEq {
				eq++
			}
			if eq < len(ops) && eq-end <= 2*ctx {
				end = eq
				continue
			}
			break
		}
		stop := end + ctx
		if stop > len(ops) {
			stop = len(ops)
		}
		h := ops[start:stop]
		aStart, bStart, aLen, bLen := -1, -1, 0, 0
		for _, o := range h {
			if o.kind != opIns {
				if aStart < 0 {
					aStart = o.a
				}
				aLen++
			}
			if o.kind != opDel {
				if bStart < 0 {
					bStart = o.b
				}
				bLen++
			}
		}
		if aStart < 0 {
			aStart = h[0].a
		}
		if bStart < 0 {
			bStart = h[0].b
		}
		fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, o := range h {
			line := ""
			switch o.kind {
			case opEq, opDel:
				line = a[o.a]
			case opIns:
				line = b[o.b]
			}
			sb.WriteByte(byte(o.kind))
			sb.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
