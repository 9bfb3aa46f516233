// Go baseline: the same request and merge logic as the C module, compiled
// with Go's js/wasm target and the seeds' size flags (-ldflags="-s -w"), and
// driven through the same glue contract: an HTTP/1-style request envelope
// in, a {status, head, body, commit, forward, requestId} result out.
// A benchmark fixture: it never ships in the product.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"syscall/js"
)

type request struct {
	method, path string
	headers      map[string]string
	body         string
}

type result struct {
	status                           int
	head, body, commit, forward, rid string
}

func (r result) js() any {
	return map[string]any{"status": r.status, "head": r.head, "body": r.body, "commit": r.commit, "forward": r.forward, "requestId": r.rid}
}

func newRID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func parse(env string) (request, bool) {
	var r request
	head, body, ok := strings.Cut(env, "\r\n\r\n")
	if !ok {
		return r, false
	}
	lines := strings.Split(head, "\r\n")
	method, target, ok := strings.Cut(lines[0], " ")
	if !ok || method == "" || !strings.HasPrefix(target, "/") {
		return r, false
	}
	r.method, r.body = method, body
	r.path, _, _ = strings.Cut(target, "?")
	r.headers = map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" {
			return r, false
		}
		r.headers[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return r, true
}

func fail(status int, code, msg, rid string) result {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg, "request_id": rid}})
	return result{status: status, head: "content-type: application/json\r\n", body: string(b), rid: rid}
}

func validID(id string) bool {
	if len(id) < 1 || len(id) > 128 || id == "." || id == ".." {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._~-", c)) {
			return false
		}
	}
	return true
}

func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	return v, nil
}

func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

// ifMatch reports (syntax ok, matches version).
func ifMatch(h string, present bool, version int64) (bool, bool) {
	if !present || strings.TrimSpace(h) == "*" {
		return true, true
	}
	match := false
	for _, part := range strings.Split(h, ",") {
		p := strings.TrimSpace(part)
		weak := strings.HasPrefix(p, "W/")
		p = strings.TrimPrefix(p, "W/")
		if len(p) < 2 || p[0] != '"' || p[len(p)-1] != '"' {
			return false, false
		}
		if !weak && p[1:len(p)-1] == strconv.FormatInt(version, 10) {
			match = true
		}
	}
	return true, match
}

type route struct {
	id    string
	patch any
}

func validate(r request, rid string) (route, *result) {
	if r.path == "/health" {
		if r.method != "GET" {
			f := fail(405, "method_not_allowed", "method not allowed on this route", rid)
			return route{}, &f
		}
		ok := result{status: 200, head: "content-type: application/json\r\n", body: `{"status":"ok","version":"baseline-go"}`, rid: rid}
		return route{}, &ok
	}
	if !strings.HasPrefix(r.path, "/state/") {
		f := fail(404, "not_found", "no such route", rid)
		return route{}, &f
	}
	if r.method != "GET" && r.method != "PATCH" {
		f := fail(405, "method_not_allowed", "method not allowed on this route", rid)
		return route{}, &f
	}
	id := r.path[7:]
	if !validID(id) {
		f := fail(400, "invalid_id", "id must be 1-128 characters of [A-Za-z0-9._~-]", rid)
		return route{}, &f
	}
	rt := route{id: id}
	if r.method == "PATCH" {
		ct, _, _ := strings.Cut(r.headers["content-type"], ";")
		ct = strings.ToLower(strings.TrimSpace(ct))
		if ct != "application/merge-patch+json" && ct != "application/json" {
			f := fail(415, "unsupported_media_type", "use Content-Type application/merge-patch+json or application/json", rid)
			return rt, &f
		}
		if len(r.body) > 1<<20 {
			f := fail(413, "payload_too_large", "body is over the size limit", rid)
			return rt, &f
		}
		h, present := r.headers["if-match"]
		if ok, _ := ifMatch(h, present, -1); !ok {
			f := fail(400, "invalid_if_match", "If-Match must be * or a list of quoted versions", rid)
			return rt, &f
		}
		v, err := decodeJSON(r.body)
		if err != nil {
			f := fail(400, "invalid_json", "body is not valid JSON: "+err.Error(), rid)
			return rt, &f
		}
		if _, ok := v.(map[string]any); !ok {
			f := fail(422, "invalid_patch", "patch must be a JSON object; the state must remain an object", rid)
			return rt, &f
		}
		rt.patch = v
	}
	return rt, nil
}

func edge(env string) result {
	rid := newRID()
	r, ok := parse(env)
	if !ok {
		return fail(400, "bad_request", "malformed request", rid)
	}
	rt, answer := validate(r, rid)
	if answer != nil {
		return *answer
	}
	return result{forward: rt.id, rid: rid}
}

func owner(env, blob, rid string) result {
	r, ok := parse(env)
	if !ok {
		return fail(400, "bad_request", "malformed request", rid)
	}
	rt, answer := validate(r, rid)
	if answer != nil {
		return *answer
	}
	version := int64(0)
	var doc any = map[string]any{}
	if blob != "" {
		stored, err := decodeJSON(blob)
		m, _ := stored.(map[string]any)
		if err != nil || m == nil {
			return fail(500, "internal", "stored state is unreadable", rid)
		}
		n, _ := m["v"].(json.Number)
		version, _ = n.Int64()
		doc = m["s"]
	}
	res := result{status: 200, rid: rid}
	if r.method == "PATCH" {
		h, present := r.headers["if-match"]
		if _, match := ifMatch(h, present, version); !match {
			return fail(412, "precondition_failed", "If-Match does not match the current version", rid)
		}
		doc = mergePatch(doc, rt.patch)
		version++
		c, _ := json.Marshal(map[string]any{"v": version, "s": doc})
		res.commit = string(c)
	}
	b, _ := json.Marshal(map[string]any{"id": rt.id, "version": version, "state": doc})
	res.body = string(b)
	res.head = "content-type: application/json\r\netag: \"" + strconv.FormatInt(version, 10) + "\"\r\n"
	return res
}

func main() {
	js.Global().Set("cwGoEdge", js.FuncOf(func(this js.Value, args []js.Value) any {
		return edge(args[0].String()).js()
	}))
	js.Global().Set("cwGoOwner", js.FuncOf(func(this js.Value, args []js.Value) any {
		return owner(args[0].String(), args[1].String(), args[2].String()).js()
	}))
	select {}
}
