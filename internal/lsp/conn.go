package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
)

// maxMessage bounds one JSON-RPC message; an editor sending a 20 MB file
// stays well below it.
const maxMessage = 256 << 20

// codec reads and writes LSP base-protocol frames (Content-Length headers).
// Unlike the stock codec it survives a frame whose body is not a JSON-RPC
// message: it reports it and goes on with the next frame, so a bad message
// does not end the session.
type codec struct {
	bad func(err error)
	// closing reports that the session is ending: no further message is
	// read, since a response read after the connection closed would make
	// jsonrpc2 send on a closed channel.
	closing func() bool
}

func (codec) WriteObject(w io.Writer, obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(data)); err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func (c codec) ReadObject(r *bufio.Reader, v any) error {
	for {
		if c.closing != nil && c.closing() {
			return io.EOF
		}
		hdr, err := textproto.NewReader(r).ReadMIMEHeader()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(strings.TrimSpace(hdr.Get("Content-Length")))
		if err != nil || n < 0 || n > maxMessage {
			// The stream cannot be resynchronised without a length.
			return fmt.Errorf("bad Content-Length header %q", hdr.Get("Content-Length"))
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		if err := json.Unmarshal(body, v); err != nil {
			if c.bad != nil {
				c.bad(fmt.Errorf("malformed JSON-RPC message (%d bytes) ignored: %w", n, err))
			}
			continue
		}
		return nil
	}
}

// rpcHandler dispatches JSON-RPC requests to the glsp protocol handler.
// It runs on the connection's read loop, one message at a time, so that
// document changes apply in order. Requests listed in async are answered
// from their own goroutine: they may call the client (workspace/applyEdit)
// or compute for a while, and a call made from the read loop would wait
// for a reply the loop cannot read.
type rpcHandler struct {
	s     *Server
	h     glsp.Handler
	async map[string]bool
	ready <-chan struct{} // closed once the server holds the connection
}

func (rh *rpcHandler) Handle(_ context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	<-rh.ready
	if req.Method == "exit" {
		rh.s.closing.Store(true) // before the close: see codec.closing
		rh.s.exit()
		_ = conn.Close()
		return
	}
	if rh.async[req.Method] && !req.Notif {
		go rh.handle(conn, req)
		return
	}
	rh.handle(conn, req)
}

func (rh *rpcHandler) handle(conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	ctx := context.Background()
	var result any
	var rerr *jsonrpc2.Error
	func() {
		defer func() {
			if r := recover(); r != nil {
				rh.s.logf("internal error in %s: %v (please report it)", req.Method, r)
				rerr = &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: fmt.Sprintf("internal error in %s: %v", req.Method, r)}
			}
		}()
		gctx := &glsp.Context{Method: req.Method, Notify: rh.s.notify, Call: rh.s.call}
		if req.Params != nil {
			gctx.Params = *req.Params
		} else {
			gctx.Params = json.RawMessage("null")
		}
		r, validMethod, validParams, err := rh.h.Handle(gctx)
		switch {
		case !validMethod:
			if strings.HasPrefix(req.Method, "$/") {
				return // optional notifications and requests may be ignored
			}
			rerr = &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: "method not supported: " + req.Method}
		case !validParams:
			msg := "invalid params"
			if err != nil {
				msg = err.Error()
			}
			rerr = &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: req.Method + ": " + msg}
		case err != nil:
			var re *jsonrpc2.Error
			if e, ok := err.(*jsonrpc2.Error); ok {
				re = e
			} else {
				code := int64(jsonrpc2.CodeInvalidRequest)
				if e, ok := err.(*requestError); ok {
					code = e.code
				}
				re = &jsonrpc2.Error{Code: code, Message: err.Error()}
			}
			rerr = re
		default:
			result = r
		}
	}()
	if rerr != nil {
		rh.s.logf("%s: %s", req.Method, rerr.Message)
	}
	if req.Notif {
		return
	}
	var err error
	if rerr != nil {
		err = conn.ReplyWithError(ctx, req.ID, rerr)
	} else {
		err = conn.Reply(ctx, req.ID, result)
	}
	if err != nil && err != jsonrpc2.ErrClosed {
		rh.s.logf("reply to %s: %v", req.Method, err)
	}
}

// requestError is an error answered with a given JSON-RPC code.
type requestError struct {
	code int64
	msg  string
}

func (e *requestError) Error() string { return e.msg }

// Error codes of the protocol.
const (
	codeRequestFailed    = -32803
	codeContentModified  = -32801
	codeServerNotStarted = -32002
)

func failed(format string, a ...any) error {
	return &requestError{code: codeRequestFailed, msg: fmt.Sprintf(format, a...)}
}
